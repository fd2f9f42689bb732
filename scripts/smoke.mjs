#!/usr/bin/env node
// Smoke test of a deployed (or local) resize-image API, run by deploy.yml after each deploy:
//   node scripts/smoke.mjs --url https://abc.execute-api.eu-west-1.amazonaws.com/dev [--api-key KEY]
// The key may come from RESIZE_API_KEY instead (kept out of the process list). Checks: /health;
// when /config says keys are required, POST /image without one is refused; POST /image of a
// committed photo with the key answers 201 with three variants; each variant's URL answers 200
// with the bytes whose sha256 the manifest gave. Exits 1 naming the first check that failed.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const FIXTURE = new URL('../resize-wasm/tests/fixtures/exif/Landscape_1.jpg', import.meta.url);
const sha256 = (bytes) => createHash('sha256').update(new Uint8Array(bytes)).digest('hex');

export async function smoke({ url, apiKey, log = console.log }) {
  const base = new URL(url.replace(/\/?$/, '/'));
  const at = (path) => new URL(path.replace(/^\//, ''), base);
  const check = (ok, what) => {
    if (!ok) throw new Error(`smoke test failed: ${what}`);
    log(`ok   ${what}`);
  };

  const health = await fetch(at('/health'));
  check(health.status === 200 && (await health.json()).status === 'ok', `GET /health answers 200 ok`);
  const config = await (await fetch(at('/config'))).json();
  const keyHeader = config.auth?.header ?? 'x-api-key';

  const form = () => {
    const body = new FormData();
    body.append('file', new Blob([readFileSync(FIXTURE)], { type: 'image/jpeg' }), 'smoke.jpg');
    body.append('s3Key', `smoke/${new Date().toISOString().replace(/[:.]/g, '-')}.jpg`);
    return body;
  };
  if (config.auth?.apiKeyRequired) {
    check(Boolean(apiKey), '/config requires an API key, and one was given (--api-key or RESIZE_API_KEY)');
    const refused = await fetch(at('/image'), { method: 'POST', body: form() });
    check([401, 403].includes(refused.status), `POST /image without a key is refused (got ${refused.status})`);
  }

  const headers = apiKey ? { [keyHeader]: apiKey } : {};
  const created = await fetch(at('/image'), { method: 'POST', body: form(), headers });
  const manifest = await created.json();
  check(created.status === 201, `POST /image answers 201 (got ${created.status}: ${JSON.stringify(manifest)})`);
  check(manifest.variants?.length === 3, `the manifest lists three variants (${manifest.variants?.map((v) => v.key)})`);
  for (const variant of manifest.variants) {
    const got = await fetch(at(variant.url));
    const bytes = await got.arrayBuffer();
    check(got.status === 200, `GET ${variant.url} answers 200 (got ${got.status})`);
    check(sha256(bytes) === variant.sha256, `${variant.key}: ${bytes.byteLength} bytes with the manifest's sha256`);
  }
  log(`smoke test passed against ${base.href}: ${manifest.key}, module ${manifest.module.sha256.slice(0, 16)}`);
  return manifest;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { url: { type: 'string' }, 'api-key': { type: 'string' } } });
  if (!values.url) {
    console.error('usage: node scripts/smoke.mjs --url API_BASE_URL [--api-key KEY] (or RESIZE_API_KEY)');
    process.exit(2);
  }
  try {
    await smoke({ url: values.url, apiKey: values['api-key'] ?? process.env.RESIZE_API_KEY });
  } catch (e) {
    console.error(e.message);
    process.exit(1);
  }
}
