// What every demo test needs: the real host on a free port, and Debian's Chromium.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, request as httpRequest } from 'node:http';
import { mkdtempSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

export const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const hostBin = process.env.RESIZE_HOST_BIN ?? join(repo, 'target/release/lambda-host');

/** `lambda-host serve` on 127.0.0.1:0 with a fresh data directory; resolves to its base URL. */
export async function startHost(args = []) {
  assert.ok(existsSync(hostBin), `${hostBin} is missing: run through \`cargo xtask test\`, which builds it`);
  const dataDir = mkdtempSync(join(tmpdir(), 'resize-demo-'));
  const host = spawn(hostBin, ['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir, ...args],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, RUST_LOG: 'warn' } });
  const base = await new Promise((resolveBase, reject) => {
    let out = '';
    host.stdout.on('data', (chunk) => {
      out += chunk;
      const match = out.match(/listening on (http:\/\/[\d.:]+)/);
      if (match) resolveBase(match[1]);
    });
    host.on('exit', (code) => reject(new Error(`host exited with ${code}`)));
  });
  // The stored variants go with the host (every test run had left its folders behind).
  host.on('exit', () => rmSync(dataDir, { recursive: true, force: true }));
  return { host, base };
}

/** The module and its glue fetched from the host at `base`, as the demo loads them, run in Node. */
export async function loadModuleInNode(base) {
  const dir = mkdtempSync(join(tmpdir(), 'resize-glue-'));
  const glue = join(dir, 'resize_wasm.mjs');
  writeFileSync(glue, await (await fetch(`${base}/wasm/resize_wasm.js`)).text());
  // Imported once, the file is no longer needed: every test run made ten of these folders.
  const module = await import(pathToFileURL(glue).href);
  rmSync(dir, { recursive: true, force: true });
  module.initSync({ module: new Uint8Array(await (await fetch(`${base}/wasm/resize_wasm_bg.wasm`)).arrayBuffer()) });
  return module;
}

/** The module's packed result (resize-wasm/ABI.md): its manifest and each variant's bytes. */
export function unpack(packed) {
  const length = new DataView(packed.buffer, packed.byteOffset).getUint32(0, true);
  const manifest = JSON.parse(new TextDecoder().decode(packed.subarray(4, 4 + length)));
  let offset = 4 + length;
  const variants = (manifest.variants ?? []).map((v) => {
    const bytes = packed.subarray(offset, offset + v.bytes);
    offset += v.bytes;
    return bytes;
  });
  return { manifest, variants };
}

export function launchChromium() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/**
 * A stand-in for API Gateway's REST API in front of the host, as deployed: paths under the stage
 * (`/dev/...`, stripped before the host sees them) and a usage-plan key required on the writing
 * routes (403 `{"message":"Forbidden"}` without it, as API Gateway answers). Resolves to its
 * stage URL, e.g. http://127.0.0.1:PORT/dev
 */
export async function fakeApiGateway(hostBase, { stage = 'dev', key }) {
  const writing = new Set(['POST /image', 'POST /uploads']);
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://gateway');
    const prefix = `/${stage}`;
    if (url.pathname !== prefix && !url.pathname.startsWith(`${prefix}/`)) {
      res.writeHead(403, { 'content-type': 'application/json' }).end('{"message":"Missing Authentication Token"}');
      return;
    }
    const path = url.pathname.slice(prefix.length) || '/';
    if (writing.has(`${req.method} ${path}`) && req.headers['x-api-key'] !== key) {
      req.resume();
      res.writeHead(403, { 'content-type': 'application/json' }).end('{"message":"Forbidden"}');
      return;
    }
    const upstream = httpRequest(new URL(path + url.search, hostBase), { method: req.method, headers: req.headers },
      (answer) => { res.writeHead(answer.statusCode, answer.headers); answer.pipe(res); });
    upstream.on('error', (e) => res.destroy(e));
    req.pipe(upstream);
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return { server, url: `http://127.0.0.1:${server.address().port}/${stage}` };
}
