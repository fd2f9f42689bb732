// The deploy workflow's smoke test, run against the release host behind a stand-in for API
// Gateway (stage path, usage-plan key): it passes with the key, and fails where a deployment is
// broken (no key given, keys not enforced).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHost, fakeApiGateway } from '../web-demo/tests/harness.mjs';
import { smoke } from './smoke.mjs';

let keyed, open;

before(async () => {
  keyed = await startHost(['--api-key-required', 'true']);
  keyed.gateway = await fakeApiGateway(keyed.base, { stage: 'dev', key: 'smoke-key' });
  open = await startHost();
});

after(() => {
  keyed.gateway.server.close();
  keyed.host.kill();
  open.host.kill();
});

const quiet = () => {};

test('passes against the API behind the gateway with the stage key', async () => {
  const lines = [];
  const manifest = await smoke({ url: keyed.gateway.url, apiKey: 'smoke-key', log: (l) => lines.push(l) });
  assert.equal(manifest.variants.length, 3);
  assert.ok(lines.some((l) => l.includes('without a key is refused (got 403)')), lines.join('\n'));
  assert.equal(lines.filter((l) => l.includes("with the manifest's sha256")).length, 3);
});

test('fails without a key, and with a wrong one', async () => {
  await assert.rejects(smoke({ url: keyed.gateway.url, log: quiet }), /an API key was given|one was given/);
  await assert.rejects(smoke({ url: keyed.gateway.url, apiKey: 'nope', log: quiet }), /POST \/image answers 201 \(got 403/);
});

test('fails when the API claims keys but nothing enforces them', async () => {
  await assert.rejects(smoke({ url: keyed.base, apiKey: 'smoke-key', log: quiet }), /without a key is refused \(got 201\)/);
});

test('passes against an open local server', async () => {
  const manifest = await smoke({ url: open.base, log: quiet });
  assert.deepEqual(manifest.variants.map((v) => v.key.replace(/^smoke\/[^.]+/, '')), ['.jpg', '.jpg_200', '.jpg_75']);
});
