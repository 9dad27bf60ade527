// Dumps the data that syndicate's X counting needs from the npm packages
// twitter-text@3.1.0 and twemoji-parser (the version twitter-text pulls in):
// TLD lists, the exact sets of UTF-16 code units each URL character class
// accepts (measured by running the real regexes, so JS case-insensitivity
// quirks are captured), case variants of TLD characters, and the emoji regex
// source (expanded into a list of sequences by build_data.py); and the npm
// `tlds` list that @atproto/api uses for Bluesky facet detection.
//
// Usage: run by build_data.py (prints JSON on stdout).
import twitterText from 'twitter-text';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const emojiRegex = require('twemoji-parser/dist/lib/regex').default;
const r = twitterText.regexen;

// Each class is tested on single code units exactly as the URL regex uses it
// (same flags as extractUrl: 'gi', or as the sub-regex's own flags).
const classes = {
  preceding: new RegExp(`^(?:${r.validUrlPrecedingChars.source})$`, 'i'),
  domain: new RegExp(`^${r.validDomainChars.source}$`, 'i'),
  path: new RegExp(`^${r.validGeneralUrlPathChars.source}$`, 'i'),
  pathEnd: new RegExp(`^(?:${r.validUrlPathEndingChars.source})$`, 'i'),
  query: new RegExp(`^${r.validUrlQueryChars.source}$`, 'i'),
  queryEnd: new RegExp(`^${r.validUrlQueryEndingChars.source}$`, 'i'),
  asciiDomain: new RegExp(`^[\\-a-z0-9${r.latinAccentChars.source}]$`, 'i'),
  tldBoundary: /^[^0-9a-zA-Z@+-]$/i,
  invalid: new RegExp(`^${r.invalidChars.source}$`),
};

function ranges(re) {
  const out = [];
  let start = -1;
  for (let cu = 0; cu <= 0x10000; cu++) {
    const hit = cu < 0x10000 && re.test(String.fromCharCode(cu));
    if (hit && start < 0) start = cu;
    if (!hit && start >= 0) {
      out.push([start, cu - 1]);
      start = -1;
    }
  }
  return out;
}

const tldSource = (re) => {
  const m = re.source.match(/^\(\?:\(\?:(.*)\)\(\?=/);
  if (!m) throw new Error(`unexpected TLD regex shape: ${re.source.slice(0, 40)}`);
  return m[1].split('|');
};
const gtlds = tldSource(r.validGTLD);
const cctlds = tldSource(r.validCCTLD);

// For every character used in a TLD (and in the fixed words 'https', 't.co',
// 'xn--'), the code units that a case-insensitive JS regex treats as equal.
const caseVariants = {};
const letters = new Set([...gtlds.join(''), ...cctlds.join(''), ...'httpsxnco']);
for (const ch of letters) {
  const re = new RegExp(`^${ch.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')}$`, 'i');
  const variants = [];
  for (let cu = 0; cu < 0x10000; cu++) {
    if (re.test(String.fromCharCode(cu))) variants.push(cu);
  }
  if (variants.length !== 1 || variants[0] !== ch.charCodeAt(0)) caseVariants[ch] = variants;
}

const out = {
  source: {
    'twitter-text': require('twitter-text/package.json').version,
    'twemoji-parser': require('twemoji-parser/package.json').version,
    tlds: require('tlds/package.json').version,
  },
  // The TLD list @atproto/api's detectFacets checks bare domains and handles against.
  bskyTlds: require('tlds'),
  gtlds,
  cctlds,
  classes: Object.fromEntries(Object.entries(classes).map(([k, re]) => [k, ranges(re)])),
  caseVariants,
  emojiRegex: emojiRegex.source,
  emojiFlags: emojiRegex.flags,
};
process.stdout.write(JSON.stringify(out, null, 1) + '\n');
