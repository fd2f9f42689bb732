// The npm package (`lambda-host package`, which `cargo xtask pkg` runs): what npm would publish,
// with the version and sha256 the server's /config reports, and the same bytes as the server when
// another app imports it the way its README shows (in Node: initSync with the .wasm's bytes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { hostBin, repo, startHost, unpack } from './harness.mjs';

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

test('the npm package is the server\'s module, and gives the server\'s bytes', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'resize-npm-')), 'resize-image-module');
  const written = spawnSync(hostBin, ['package', '--out', dir], { encoding: 'utf8' });
  assert.equal(written.status, 0, written.stderr);

  const pack = spawnSync('npm', ['pack', '--dry-run', '--json'], { cwd: dir, encoding: 'utf8' });
  assert.equal(pack.status, 0, pack.stderr);
  const [packed] = JSON.parse(pack.stdout);
  assert.deepEqual(packed.files.map((f) => f.path).sort(),
    ['README.md', 'package.json', 'resize_wasm.d.ts', 'resize_wasm.js', 'resize_wasm_bg.wasm']);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  assert.match(readFileSync(join(dir, 'resize_wasm.d.ts'), 'utf8'), /export function process\(input: Uint8Array \| number\[\], request_json: string\): Uint8Array/);

  const { host, base } = await startHost();
  try {
    const config = await (await fetch(`${base}/config`)).json();
    assert.equal(pkg.version, config.module.version);
    assert.equal(pkg.resizeImage.moduleSha256, config.module.sha256);
    assert.equal(sha256(readFileSync(join(dir, 'resize_wasm_bg.wasm'))), config.module.sha256);

    const module = await import(pathToFileURL(join(dir, 'resize_wasm.js')).href);
    module.initSync({ module: readFileSync(join(dir, 'resize_wasm_bg.wasm')) });
    const photo = readFileSync(resolve(repo, '../shared/corpus/photo-2725x2225.jpg'));
    const ours = unpack(module.process(new Uint8Array(photo), JSON.stringify(config.request))).variants.map(sha256);

    const form = new FormData();
    form.set('file', new Blob([photo]), 'photo.jpg');
    form.set('s3Key', 'npm/photo.jpg');
    const stored = await (await fetch(`${base}/image`, { method: 'POST', body: form })).json();
    assert.deepEqual(ours, stored.variants.map((v) => v.sha256));
  } finally {
    host.kill();
  }
});
