// npm twitter-text's own speed, the baseline for bench/bench_length.py.
// Reads a JSON array of texts on stdin; prints {"texts_per_s": median, "runs": [...]}.
//
// Usage: node baseline.mjs [repeats] < texts.json
import fs from 'node:fs';
import twitterText from 'twitter-text';

const texts = JSON.parse(fs.readFileSync(0, 'utf8'));
const repeats = Number(process.argv[2] || 5);
for (const t of texts.slice(0, 500)) twitterText.parseTweet(t); // warm up the JIT
const runs = [];
for (let r = 0; r < repeats; r++) {
  const start = process.hrtime.bigint();
  for (const t of texts) twitterText.parseTweet(t);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  runs.push(texts.length / seconds);
}
const sorted = [...runs].sort((a, b) => a - b);
process.stdout.write(JSON.stringify({ texts_per_s: sorted[Math.floor(sorted.length / 2)], runs }) + '\n');
