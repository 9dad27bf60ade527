// Measure every text of corpus.jsonl with the platforms' own reference
// libraries and write tests/data/length_vectors.jsonl.
//
//   X:       twitter-text parseTweet (weightedLength, valid) and
//            extractUrlsWithIndices on the NFC text (indices as code points)
//   Bluesky: @atproto/api RichText (graphemeLength, UTF-8 length) and
//            detectFacetsWithoutResolution (byte ranges, type, value)
//
// Usage (from tools/vectors, after `npm ci`): node generate.mjs
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import twitterText from 'twitter-text';
import { RichText } from '@atproto/api';

const version = (pkg) => JSON.parse(fs.readFileSync(path.join(here, 'node_modules', pkg, 'package.json'), 'utf8')).version;
const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.join(here, '..', '..', 'tests', 'data', 'length_vectors.jsonl');

const cp = (s, i16) => [...s.slice(0, i16)].length;

const FEATURE = {
  'app.bsky.richtext.facet#link': ['link', 'uri'],
  'app.bsky.richtext.facet#mention': ['mention', 'did'],
  'app.bsky.richtext.facet#tag': ['tag', 'tag'],
};

function facets(text) {
  const rt = new RichText({ text });
  rt.detectFacetsWithoutResolution();
  return {
    graphemes: rt.graphemeLength,
    bytes: rt.length,
    facets: (rt.facets || []).map((f) => {
      const feat = f.features[0];
      const [kind, key] = FEATURE[feat.$type];
      return [kind, f.index.byteStart, f.index.byteEnd, feat[key]];
    }),
  };
}

const lines = fs.readFileSync(path.join(here, 'corpus.jsonl'), 'utf8').split('\n').filter(Boolean);
const meta = {
  meta: {
    'twitter-text': version('twitter-text'),
    'twemoji-parser': version('twemoji-parser'),
    '@atproto/api': version('@atproto/api'),
    'unicode-segmenter': version('unicode-segmenter'),
    node: process.version,
    icu: process.versions.icu,
    unicode: process.versions.unicode,
  },
};
const rows = [JSON.stringify(meta)];
for (const line of lines) {
  const { id, text } = JSON.parse(line);
  const parsed = twitterText.parseTweet(text);
  const nfc = text.normalize();
  const urls = twitterText.extractUrlsWithIndices(nfc).map((u) => [cp(nfc, u.indices[0]), cp(nfc, u.indices[1]), u.url]);
  rows.push(JSON.stringify({
    id,
    text,
    x: { weightedLength: parsed.weightedLength, valid: parsed.valid, urls },
    bluesky: facets(text),
  }));
}
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, rows.join('\n') + '\n');
console.log(`wrote ${rows.length - 1} vectors to ${out}`);
