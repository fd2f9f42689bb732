// Deployed behind API Gateway: the demo under the stage's path (/dev/), storing only with the
// stage's usage-plan key. The demo asks for the key, keeps it in the tab, sends it as x-api-key,
// and previews without it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { repo, startHost, launchChromium, fakeApiGateway } from './harness.mjs';

let host, gateway, browser, page;
const posts = [];

before(async () => {
  let base;
  ({ host, base } = await startHost(['--api-key-required', 'true']));
  gateway = await fakeApiGateway(base, { stage: 'dev', key: 'k-123' });
  browser = await launchChromium();
  page = await (await browser.newContext()).newPage();
  page.on('request', (req) => {
    if (req.method() === 'POST') posts.push({ path: new URL(req.url()).pathname, key: req.headers()['x-api-key'] });
  });
  await page.goto(`${gateway.url}/`);
  await page.locator('#module-info[data-loaded-sha256]').waitFor();
});

after(async () => {
  await browser?.close();
  gateway?.server.close();
  host?.kill();
});

test('under the stage path, previews need no key; storing asks for one and sends it as x-api-key', async () => {
  assert.ok(await page.locator('#api-key-field').isVisible(), 'the key field is shown when /config requires keys');
  await page.setInputFiles('#file-input', join(repo, 'resize-wasm/tests/fixtures/exif/Landscape_3.jpg'));
  const item = page.locator('.item[data-state="previewed"]');
  await item.waitFor();
  assert.equal(await item.locator('.variant:not(.placeholder)').count(), 3, 'previews computed without a key');

  await item.locator('button.upload').click();
  assert.match(await item.locator('.error').textContent(), /needs an API key/);
  assert.deepEqual(posts, [], 'nothing is sent without a key');

  await page.locator('#api-key').fill('wrong');
  await item.locator('button.upload').click();
  await item.locator('.error', { hasText: 'Forbidden' }).waitFor();
  await page.locator('#api-key').fill('k-123');
  await item.locator('.key').fill('keyed/landscape.jpg');
  await item.locator('button.upload').click();
  await page.locator('.item[data-state="verified"]').waitFor();
  assert.deepEqual(posts, [{ path: '/dev/image', key: 'wrong' }, { path: '/dev/image', key: 'k-123' }]);
  assert.equal(await page.locator('.stored.ok').count(), 3, 'stored bytes read back through the stage path');
  mkdirSync(join(repo, 'web-demo/test-results'), { recursive: true });
  await page.screenshot({ path: join(repo, 'web-demo/test-results/demo-api-key.png'), fullPage: true });
  assert.equal(await page.evaluate(() => sessionStorage.getItem('resize-api-key')), 'k-123');
  assert.equal(await page.evaluate(() => localStorage.length), 0, 'the key is not kept beyond the tab');

  await page.reload();
  await page.locator('#module-info[data-loaded-sha256]').waitFor();
  assert.equal(await page.locator('#api-key').inputValue(), 'k-123', 'the key survives a reload of the tab');
});
