// sharp behind the bench workers' protocol (see bench/src/worker.rs):
//   node sharp.mjs worker              batches as JSON lines on stdin, one answer line each
//   node sharp.mjs cold JOB INPUT OUT  one op, then exit (cold start and peak RSS)
// One thread: sharp.concurrency(1), UV_THREADPOOL_SIZE=1 (set by the bench), no operation cache.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import sharp from 'sharp';

sharp.concurrency(1);
sharp.cache(false);

// The jobs of bench/src/tasks.rs; each returns [[name, buffer], ...].
const jobs = {
  t1: async (input) => [['t1-720.jpeg', await sharp(input).resize(720, 588, { fit: 'inside' }).jpeg({ quality: 80 }).toBuffer()]],
  // The seed's shape: three pipelines, sharp's defaults (cover, centre, lanczos3, quality 80).
  t2: async (input) => {
    const out = [];
    for (const size of [456, 200, 75]) {
      out.push([`t2-${size}.jpeg`, await sharp(input).resize(size, size).jpeg({ quality: 80 }).toBuffer()]);
    }
    return out;
  },
  t3: async (input) => [['t3-720.png', await sharp(input).resize(720, 540, { fit: 'inside' }).png().toBuffer()]],
};

function save(dir, outputs) {
  mkdirSync(dir, { recursive: true });
  return outputs.map(([name, bytes]) => {
    writeFileSync(join(dir, name), bytes);
    return { name, bytes: bytes.length };
  });
}

const inputs = new Map();
async function batch({ job, input, ops, out }) {
  if (!jobs[job]) throw new Error(`unknown job ${job}`);
  if (!inputs.has(input)) inputs.set(input, readFileSync(input));
  const bytes = inputs.get(input);
  const wallMs = [];
  let last = [];
  for (let i = 0; i < ops; i++) {
    const start = process.hrtime.bigint();
    last = await jobs[job](bytes);
    wallMs.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return { wallMs, outputs: save(out, last) };
}

const [mode, ...args] = process.argv.slice(2);
if (mode === 'worker') {
  for await (const line of createInterface({ input: process.stdin })) {
    let answer;
    try {
      answer = await batch(JSON.parse(line));
    } catch (e) {
      answer = { error: String(e && e.message || e) };
    }
    process.stdout.write(JSON.stringify(answer) + '\n');
  }
} else if (mode === 'cold') {
  const [job, input, out] = args;
  save(out, await jobs[job](readFileSync(input)));
} else {
  console.error('usage: node sharp.mjs worker | cold JOB INPUT OUT');
  process.exit(2);
}
