// The benchmark's tasks and the colour-managed fixtures (resize-wasm/tests/engines.json) give the
// same bytes in every engine that runs the module: wasmtime in the host (what `POST /image`
// stores), Node's V8 and Chromium, each loading the module and its glue from the host as the demo
// does, with the request `/config` gives.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { repo, startHost, launchChromium, loadModuleInNode, unpack } from './harness.mjs';

const { cases } = JSON.parse(readFileSync(join(repo, 'resize-wasm/tests/engines.json'), 'utf8'));
const corpus = resolve(repo, '../shared/corpus');
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

let browser;
before(async () => { browser = await launchChromium(); });
after(async () => { await browser?.close(); });

const hashes = (packed) => unpack(packed).variants.map(sha256);

async function inNode(base, input, request) {
  return hashes((await loadModuleInNode(base)).process(input, JSON.stringify(request)));
}

async function inChromium(base, input, request) {
  const page = await browser.newPage();
  try {
    await page.goto(`${base}/`);
    const packed = await page.evaluate(async ({ b64, request }) => {
      const module = await import('/wasm/resize_wasm.js');
      await module.default({ module_or_path: '/wasm/resize_wasm_bg.wasm' });
      const input = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const packed = module.process(input, JSON.stringify(request));
      let text = '';
      for (let i = 0; i < packed.length; i += 0x8000) text += String.fromCharCode(...packed.subarray(i, i + 0x8000));
      return btoa(text);
    }, { b64: Buffer.from(input).toString('base64'), request });
    return hashes(new Uint8Array(Buffer.from(packed, 'base64')));
  } finally {
    await page.close();
  }
}

/** What the host stores for the same form: the bytes wasmtime computed. */
async function stored(base, name, input) {
  const form = new FormData();
  form.set('file', new Blob([input]), name);
  form.set('s3Key', `engines/${name}`);
  const response = await fetch(`${base}/image`, { method: 'POST', body: form });
  const manifest = await response.json();
  assert.equal(response.status, 201, JSON.stringify(manifest));
  return Promise.all(manifest.variants.map(async (v) => {
    const got = await fetch(`${base}/image/${v.key}`);
    assert.equal(got.status, 200, v.key);
    const hash = sha256(new Uint8Array(await got.arrayBuffer()));
    assert.equal(hash, v.sha256, `${v.key}: the manifest's sha256`);
    return hash;
  }));
}

const fixtures = join(repo, 'resize-wasm/tests/fixtures');

for (const { name, input: file, fixture, flags } of cases) {
  test(`${name}: wasmtime, Node and Chromium give the same bytes`, async () => {
    const { host, base } = await startHost(flags);
    try {
      const input = new Uint8Array(readFileSync(file ? join(corpus, file) : join(fixtures, fixture)));
      const { request } = await (await fetch(`${base}/config`)).json();
      const wasmtime = await stored(base, file ?? fixture, input);
      assert.ok(wasmtime.length > 0);
      assert.deepEqual(await inNode(base, input, request), wasmtime, 'Node');
      assert.deepEqual(await inChromium(base, input, request), wasmtime, 'Chromium');
    } finally {
      host.kill();
    }
  });
}
