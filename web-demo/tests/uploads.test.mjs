// A photo over the API's upload limit, stored from the demo through `POST /uploads`: the page
// PUTs the original to the bucket (moto's S3 server, CORS as terraform/bucket.tf sets it), then
// asks for the variants by `sourceKey`; the stored bytes are the preview's.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { repo, startHost, launchChromium } from './harness.mjs';

const photoPath = resolve(repo, '../shared/corpus/photo-2725x2225.jpg');
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');
const BUCKET = 'demo-uploads';
let moto, motoUrl, host, base, browser;

before(async () => {
  const port = await freePort();
  motoUrl = `http://127.0.0.1:${port}`;
  moto = spawn(join(repo, '.tools/venv/bin/moto_server'), ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  await waitFor(async () => (await fetch(motoUrl)).ok);
  // moto's server takes unsigned requests: the bucket and its CORS rule, as in bucket.tf.
  assert.equal((await fetch(`${motoUrl}/${BUCKET}`, { method: 'PUT' })).status, 200);
  const cors = `<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>PUT</AllowedMethod>
    <AllowedMethod>GET</AllowedMethod><AllowedHeader>content-type</AllowedHeader><ExposeHeader>ETag</ExposeHeader>
    </CORSRule></CORSConfiguration>`;
  assert.equal((await fetch(`${motoUrl}/${BUCKET}?cors`, { method: 'PUT', body: cors })).status, 200);
  Object.assign(process.env, {
    S3_BUCKET: BUCKET, RESIZE_S3_FORCE_PATH_STYLE: 'true', AWS_ENDPOINT_URL: motoUrl, AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', RESIZE_MAX_UPLOAD_BYTES: '200000',
  });
  ({ host, base } = await startHost());
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  host?.kill();
  moto?.kill();
});

test('a photo over the upload limit goes to the bucket first, and is stored as previewed', async () => {
  const config = await (await fetch(`${base}/config`)).json();
  assert.equal(config.uploads.available, true);
  assert.ok(statSync(photoPath).size > config.limits.maxUploadBytes, 'the photo is over the API limit');
  const page = await (await browser.newContext()).newPage();
  const errors = [];
  page.on('console', (msg) => { if (msg.type() === 'error') errors.push(msg.text()); });
  const requests = [];
  page.on('request', (req) => requests.push(`${req.method()} ${new URL(req.url()).origin === motoUrl ? 'bucket' : new URL(req.url()).pathname}`));
  await page.goto(`${base}/`);
  await page.setInputFiles('#file-input', photoPath);
  const item = page.locator('.item[data-state="previewed"]');
  await item.waitFor({ timeout: 30_000 });
  const shown = await item.locator('.variant:not(.placeholder)').evaluateAll((f) => f.map((x) => x.dataset.sha256));
  await item.locator('.key').fill('big/photo.jpg');
  await item.locator('button.upload').click();
  await page.locator('.item[data-state="verified"]').waitFor({ timeout: 30_000 });
  assert.ok(requests.includes('POST /uploads') && requests.includes('PUT bucket') && requests.includes('POST /image'), requests.join());
  for (const [i, suffix] of ['', '_200', '_75'].entries()) {
    const stored = await fetch(`${base}/image/big/photo.jpg${suffix}`);
    assert.equal(stored.status, 200);
    assert.equal(sha256(Buffer.from(await stored.arrayBuffer())), shown[i], `big/photo.jpg${suffix}`);
  }
  // The original was removed once its variants were stored.
  const listing = await (await fetch(`${motoUrl}/${BUCKET}?list-type=2`)).text();
  const keys = [...listing.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]);
  assert.deepEqual(keys.sort(), ['big/photo.jpg', 'big/photo.jpg_200', 'big/photo.jpg_75']);
  assert.deepEqual(errors, []);
});

function freePort() {
  return new Promise((ok) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
  });
}

async function waitFor(check) {
  for (let i = 0; i < 100; i++) {
    try { if (await check()) return; } catch { /* not up yet */ }
    await new Promise((ok) => setTimeout(ok, 100));
  }
  throw new Error('moto_server did not start');
}
