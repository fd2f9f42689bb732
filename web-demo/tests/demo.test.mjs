// The demo end to end: the real host on a free port, Debian's Chromium driven by playwright-core.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, mkdirSync, existsSync } from 'node:fs';
import { extname } from 'node:path';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { repo, startHost, launchChromium, loadModuleInNode, unpack } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const corpus = resolve(repo, '../shared/corpus');
const photoPath = join(corpus, 'photo-2725x2225.jpg');
const artifacts = resolve(here, '../test-results');
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

let host, base, browser, context, page, staticSite, staticOrigin;
const consoleErrors = [];
const imagePosts = [];
const failedResponses = [];

before(async () => {
  staticSite = await serveStatic(mkdtempSync(join(tmpdir(), 'resize-static-')));
  staticOrigin = `http://127.0.0.1:${staticSite.address().port}`;
  ({ host, base } = await startHost(['--cors-allow-origin', staticOrigin]));
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  context.on('response', async (response) => {
    if (response.status() >= 400) failedResponses.push(`${response.status()} ${response.url()}`);
  });
  page = await context.newPage();
  page.on('console', (msg) => { if (msg.type() === 'error') consoleErrors.push(`${msg.text()} at ${msg.location().url}`); });
  page.on('pageerror', (err) => consoleErrors.push(String(err)));
  page.on('request', (req) => { if (req.method() === 'POST' && new URL(req.url()).pathname === '/image') imagePosts.push(req.url()); });
  await page.goto(`${base}/`);
  await page.waitForFunction(() => document.querySelector('#fit').options.length > 0);
});

after(async () => {
  await browser?.close();
  host?.kill();
  staticSite?.close();
});

/** Drops files on the drop zone with a synthetic DataTransfer, as a person dragging would. */
async function drop(name, bytes, type) {
  await page.evaluate(({ name, b64, type }) => {
    const raw = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const transfer = new DataTransfer();
    transfer.items.add(new File([raw], name, { type }));
    const zone = document.querySelector('#drop-zone');
    zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    zone.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }, { name, b64: Buffer.from(bytes).toString('base64'), type });
}

/** The newest queue item, once it has settled in `state`. */
async function newestItem(name, state) {
  const item = page.locator('.item', { has: page.locator('h2', { hasText: name }) }).first();
  await item.locator(`xpath=self::*[@data-state="${state}"]`).waitFor({ timeout: 30_000 });
  return item;
}

async function previews(item) {
  return item.locator('.variant:not(.placeholder)').evaluateAll((figures) => figures.map((f) => {
    const img = f.querySelector('img');
    return { suffix: f.dataset.suffix, width: img.naturalWidth, height: img.naturalHeight, sha256: f.dataset.sha256 };
  }));
}

test('the page loads the module the host runs', async () => {
  const health = await (await fetch(`${base}/health`)).json();
  const wasm = new Uint8Array(await (await fetch(`${base}/wasm/resize_wasm_bg.wasm`)).arrayBuffer());
  assert.equal(sha256(wasm), health.module.sha256);
  const info = page.locator('#module-info[data-loaded-sha256]');
  await info.waitFor();
  assert.equal(await info.getAttribute('data-loaded-sha256'), health.module.sha256);
  assert.match(await info.textContent(), /the same file the server runs/);
  assert.ok(await page.locator('#api-key-field').isHidden(), 'no key field when the server needs no key');
});

test('dropping the photo shows the three variants, computed in the browser', async () => {
  await drop('dropped.jpg', readFileSync(photoPath), 'image/jpeg');
  const item = await newestItem('dropped.jpg', 'previewed');
  await page.waitForFunction(() => [...document.querySelectorAll('.item:first-child .variant img')].every((i) => i.complete && i.naturalWidth > 0));
  const got = await previews(item);
  assert.deepEqual(got.map((p) => [p.suffix, p.width, p.height]), [['', 456, 456], ['_200', 200, 200], ['_75', 75, 75]]);
  assert.match(await item.locator('.source').textContent(), /JPEG 2725×2225/);
  assert.match(await item.locator('.status').textContent(), /3 variants in \d+ ms/);
});

test('the file picker works, and stored bytes equal the preview bytes', async () => {
  await page.setInputFiles('#file-input', photoPath);
  const item = await newestItem('photo-2725x2225.jpg', 'previewed');
  const shown = await previews(item);
  await item.locator('.key').fill('demo/photo.jpg');
  await item.locator('button.upload').click();
  await newestItem('photo-2725x2225.jpg', 'verified');
  const keys = ['demo/photo.jpg', 'demo/photo.jpg_200', 'demo/photo.jpg_75'];
  for (const [i, key] of keys.entries()) {
    const response = await fetch(`${base}/image/${key}`);
    assert.equal(response.status, 200, key);
    const stored = sha256(new Uint8Array(await response.arrayBuffer()));
    assert.equal(stored, shown[i].sha256, `${key}: stored bytes are the preview's bytes`);
  }
  const marks = await item.locator('.stored').allTextContents();
  assert.equal(marks.filter((t) => t.includes('identical to preview')).length, 3);
  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: join(artifacts, 'demo-desktop.png'), fullPage: true });
});

test('the picker opens from the keyboard, and pasted images are queued', async () => {
  const chooser = page.waitForEvent('filechooser');
  await page.focus('#pick-button');
  await page.keyboard.press('Enter');
  const picker = await chooser;
  await picker.setFiles(join(repo, 'resize-wasm/tests/fixtures/plain.bmp'));
  await newestItem('plain.bmp', 'previewed');

  await page.evaluate(({ b64 }) => {
    const raw = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const transfer = new DataTransfer();
    transfer.items.add(new File([raw], 'pasted.gif', { type: 'image/gif' }));
    document.dispatchEvent(new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true }));
  }, { b64: readFileSync(join(repo, 'resize-wasm/tests/fixtures/first.gif')).toString('base64') });
  const pasted = await newestItem('pasted.gif', 'previewed');
  assert.match(await pasted.locator('.source').textContent(), /GIF 64×48/);
});

test('options change the previews and the stored files alike', async () => {
  await page.selectOption('#format', 'png');
  await page.selectOption('#fit', 'inside');
  await page.setInputFiles('#file-input', join(corpus, 'alpha-2048x1536.png'));
  const item = await newestItem('alpha-2048x1536.png', 'previewed');
  const shown = await previews(item);
  assert.deepEqual(shown.map((p) => [p.width, p.height]), [[456, 342], [200, 150], [75, 56]]);
  await item.locator('button.upload').click();
  await newestItem('alpha-2048x1536.png', 'verified');
  const stored = await fetch(`${base}/image/alpha-2048x1536.png_200`);
  assert.equal(stored.headers.get('content-type'), 'image/png');
  assert.equal(sha256(new Uint8Array(await stored.arrayBuffer())), shown[1].sha256);
  await page.selectOption('#format', 'jpeg');
  await page.selectOption('#fit', 'cover');
});

test('a smart crop is chosen in the preview and stored alike', async () => {
  await page.selectOption('#position', 'attention');
  await page.setInputFiles('#file-input', photoPath);
  const item = await newestItem('photo-2725x2225.jpg', 'previewed');
  const shown = await previews(item);
  await item.locator('.key').fill('smart/photo.jpg');
  await item.locator('button.upload').click();
  await newestItem('photo-2725x2225.jpg', 'verified');
  await page.screenshot({ path: join(artifacts, 'demo-attention.png') });
  const stored = await fetch(`${base}/image/smart/photo.jpg_200`);
  assert.equal(sha256(new Uint8Array(await stored.arrayBuffer())), shown[1].sha256);
  // The crop moved: the centred previews of the same photo are other pictures.
  await page.selectOption('#position', 'centre');
  await page.setInputFiles('#file-input', photoPath);
  const centred = await previews(await newestItem('photo-2725x2225.jpg', 'previewed'));
  assert.deepEqual(centred.map((p) => [p.width, p.height]), shown.map((p) => [p.width, p.height]));
  assert.ok(centred.every((p, i) => p.sha256 !== shown[i].sha256), 'attention gave the centre crop');
});

/** The newest item's previews once its first variant's bytes differ from `before`'s. */
async function changedPreviews(item, before) {
  await page.waitForFunction((sha) => {
    const first = document.querySelector('.item .variant:not(.placeholder)');
    return first?.dataset.sha256 && first.dataset.sha256 !== sha;
  }, before[0].sha256);
  await item.locator('button.upload:not([disabled])').waitFor();
  return previews(item);
}

/** Stores the newest item under `key` and checks each stored variant is its preview. */
async function storeAndCompare(item, name, key, shown) {
  await item.locator('.key').fill(key);
  await item.locator('button.upload').click();
  await newestItem(name, 'verified');
  assert.ok(await item.locator('.error').isHidden(), await item.locator('.error').textContent());
  for (const [i, suffix] of ['', '_200', '_75'].entries()) {
    const stored = await fetch(`${base}/image/${key}${suffix}`);
    assert.equal(sha256(new Uint8Array(await stored.arrayBuffer())), shown[i].sha256, `${key}${suffix}`);
  }
}

test('a focus point clicked on the photo, or moved with the arrow keys, is stored alike', async () => {
  await page.setInputFiles('#file-input', photoPath);
  const item = await newestItem('photo-2725x2225.jpg', 'previewed');
  const centred = await previews(item);
  await item.locator('.choice-mode').selectOption('focus');
  const view = item.locator('.source-view');
  await view.scrollIntoViewIfNeeded();
  const box = await view.boundingBox();
  // The square crops are as tall as the photo: only x moves them, between 1112 and 1612.
  await page.mouse.click(box.x + box.width * 0.55, box.y + box.height * 0.5);
  const focused = await changedPreviews(item, centred);
  const [x, y] = (await item.locator('.choice-value').inputValue()).split(',').map(Number);
  const pixel = 2725 / box.width;
  assert.ok(Math.abs(x - 0.55 * 2725) <= 2 * pixel && Math.abs(y - 0.5 * 2225) <= 2 * pixel, `focus ${x},${y}`);
  assert.ok(await item.locator('.mark.focus').isVisible());
  // From the keyboard: the photo takes focus, an arrow moves the point by 2% of the longer side.
  await view.focus();
  await page.keyboard.press('ArrowLeft');
  const moved = await changedPreviews(item, focused);
  assert.equal(await item.locator('.choice-value').inputValue(), `${Math.round(x - 0.02 * 2725)},${y}`);
  assert.deepEqual(moved.map((p) => [p.width, p.height]), [[456, 456], [200, 200], [75, 75]]);
  await storeAndCompare(item, 'photo-2725x2225.jpg', 'chosen/focus.jpg', moved);
  await item.screenshot({ path: join(artifacts, 'demo-focus.png') });
});

test('a crop box dragged on the photo, or typed, is stored alike', async () => {
  await page.setInputFiles('#file-input', photoPath);
  const item = await newestItem('photo-2725x2225.jpg', 'previewed');
  const centred = await previews(item);
  await item.locator('.choice-mode').selectOption('crop');
  await item.locator('.source-view').scrollIntoViewIfNeeded();
  const box = await item.locator('.source-view').boundingBox();
  await page.mouse.move(box.x + box.width * 0.1, box.y + box.height * 0.2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.5, { steps: 5 });
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.9, { steps: 5 });
  await page.mouse.up();
  const cropped = await changedPreviews(item, centred);
  const [x, y, w, h] = (await item.locator('.choice-value').inputValue()).split(',').map(Number);
  const pixel = 2725 / box.width;
  for (const [got, want] of [[x, 0.1 * 2725], [y, 0.2 * 2225], [w, 0.4 * 2725], [h, 0.7 * 2225]]) {
    assert.ok(Math.abs(got - want) <= 3 * pixel, `crop ${x},${y},${w},${h}`);
  }
  assert.ok(await item.locator('.mark.crop').isVisible());
  // Typed instead: the field is the keyboard's way to the same choice.
  await item.locator('.choice-value').fill('1000,400,1200,900');
  await item.locator('.choice-value').press('Enter');
  const typed = await changedPreviews(item, cropped);
  // The same request through the form gives the same bytes.
  const form = new FormData();
  form.append('file', new Blob([readFileSync(photoPath)]), 'photo.jpg');
  form.append('s3Key', 'chosen/crop-by-form.jpg');
  form.append('crop', '1000,400,1200,900');
  const manifest = await (await fetch(`${base}/image`, { method: 'POST', body: form })).json();
  assert.deepEqual(manifest.variants.map((v) => v.sha256), typed.map((p) => p.sha256));
  await storeAndCompare(item, 'photo-2725x2225.jpg', 'chosen/crop.jpg', typed);
  await item.screenshot({ path: join(artifacts, 'demo-crop.png') });
});

test('the compare view shows the original and the variant with a divider, at 1:1 and zoomed, from the keyboard', async () => {
  await page.setInputFiles('#file-input', photoPath);
  const item = await newestItem('photo-2725x2225.jpg', 'previewed');
  const shown = await previews(item);
  const opener = item.locator('.variant:not(.placeholder) .compare-button').first();
  await opener.focus();
  await page.keyboard.press('Enter');
  const panel = item.locator('.compare');
  await panel.waitFor();
  await panel.locator('.compare-original').evaluate((img) => img.decode());
  await panel.locator('.compare-variant').evaluate((img) => img.decode());
  const sizes = await panel.locator('img').evaluateAll((imgs) => imgs.map((i) => [i.naturalWidth, i.naturalHeight, i.clientWidth]));
  assert.deepEqual(sizes, [[456, 456, 456], [456, 456, 456]]);
  // The variant side is the preview's very bytes; the original is the module's PNG of the same
  // request (computed here in Node), at the same size.
  const hashes = await panel.locator('img').evaluateAll((imgs) => imgs.map((img) => img.dataset.sha256));
  assert.equal(hashes[1], shown[0].sha256);
  const module = await loadModuleInNode(base);
  const config = await (await fetch(`${base}/config`)).json();
  const png = { ...config.request, score: true, variants: config.request.variants.map((v) => ({ ...v, format: 'png' })) };
  const lossless = unpack(module.process(new Uint8Array(readFileSync(photoPath)), JSON.stringify(png)));
  assert.equal(hashes[0], sha256(lossless.variants[0]));
  // The divider has focus and moves with the arrow keys; the zoom scales both sides alike.
  assert.equal(await page.evaluate(() => document.activeElement.className), 'compare-split');
  for (let i = 0; i < 10; i++) await page.keyboard.press('ArrowLeft');
  assert.equal(await panel.locator('.compare-variant').evaluate((img) => img.style.clipPath), 'inset(0px 0px 0px 40%)');
  await panel.locator('.compare-zoom').selectOption('4');
  const zoomed = await panel.locator('img').evaluateAll((imgs) => imgs.map((i) => i.clientWidth));
  assert.deepEqual(zoomed, [1824, 1824]);
  await item.screenshot({ path: join(artifacts, 'demo-compare.png') });
  await panel.locator('.compare-close').click();
  assert.ok(await panel.isHidden());
  assert.equal(await page.evaluate(() => document.activeElement.className), 'compare-button', 'focus returns to the opener');
});

test('the metadata found in the source is listed as stripped, and the stored files carry none', async () => {
  await page.setInputFiles('#file-input', join(repo, 'resize-wasm/tests/fixtures/private.jpg'));
  const item = await newestItem('private.jpg', 'previewed');
  const list = item.locator('.metadata');
  assert.ok(await list.isVisible());
  const rows = await list.locator('dt, dd').allTextContents();
  assert.deepEqual(rows.slice(0, 4), ['Camera', 'PRIVATE-CAMERA', 'Place (GPS)', '52.52014, 13.40090']);
  assert.match(await list.textContent(), /stripped from every variant/);
  const shown = await previews(item);
  await storeAndCompare(item, 'private.jpg', 'private/photo.jpg', shown);
  for (const suffix of ['', '_200', '_75']) {
    const stored = Buffer.from(await (await fetch(`${base}/image/private/photo.jpg${suffix}`)).arrayBuffer());
    assert.ok(!stored.includes('PRIVATE-'), `private/photo.jpg${suffix} carries no metadata`);
  }
  // A source without EXIF lists nothing.
  await page.setInputFiles('#file-input', join(repo, 'resize-wasm/tests/fixtures/plain.bmp'));
  assert.ok(await (await newestItem('plain.bmp', 'previewed')).locator('.metadata').isHidden());
});

test('the source\'s ThumbHash is shown before the variants, and stored with them', async () => {
  // Record the order in which figures arrive in the queue.
  await page.evaluate(() => {
    window.arrivals = [];
    new MutationObserver((changes) => changes.forEach((c) => c.addedNodes.forEach((n) => {
      if (n.classList?.contains('variant')) window.arrivals.push(n.classList.contains('placeholder') ? 'placeholder' : 'variant');
    }))).observe(document.querySelector('#queue'), { subtree: true, childList: true });
  });
  await page.setInputFiles('#file-input', join(corpus, 'alpha-2048x1536.png'));
  const item = await newestItem('alpha-2048x1536.png', 'previewed');
  const arrivals = await page.evaluate(() => window.arrivals);
  assert.equal(arrivals[0], 'placeholder', arrivals.join());
  assert.ok(arrivals.includes('variant'));
  const shown = await item.locator('.placeholder img').evaluate((img) => ({ width: img.naturalWidth, height: img.naturalHeight, alt: img.alt }));
  assert.ok(shown.width > 0 && Math.abs(shown.width / shown.height - 4 / 3) < 0.2, JSON.stringify(shown));
  const thumbhash = await item.getAttribute('data-thumbhash');
  await item.locator('.key').fill('placeholder/alpha.png');
  await item.locator('button.upload').click();
  await newestItem('alpha-2048x1536.png', 'verified');
  const stored = await fetch(`${base}/image/placeholder/alpha.png_75`);
  assert.equal(stored.status, 200);
  const form = new FormData();
  form.append('file', new Blob([readFileSync(join(corpus, 'alpha-2048x1536.png'))]), 'alpha.png');
  form.append('s3Key', 'placeholder/again.png');
  const manifest = await (await fetch(`${base}/image`, { method: 'POST', body: form })).json();
  assert.equal(manifest.source.thumbhash, thumbhash, 'the server computed the same placeholder');
  await page.screenshot({ path: join(artifacts, 'demo-placeholder.png') });
});

test('each variant shows its quality score, which follows the quality setting and matches the server\'s', async () => {
  const ssims = (item) => item.locator('.variant:not(.placeholder)').evaluateAll((figures) => figures.map((f) => Number(f.dataset.ssim)));
  await page.setInputFiles('#file-input', photoPath);
  const item = await newestItem('photo-2725x2225.jpg', 'previewed');
  const at80 = await ssims(item);
  assert.ok(at80.every((s) => s > 0.9 && s < 1), at80.join());
  assert.match(await item.locator('.variant:not(.placeholder) .meta').first().textContent(), /SSIM 0\.\d{4}/);
  await page.fill('#quality', '20');
  await page.dispatchEvent('#quality', 'change');
  await item.locator('xpath=self::*[@data-state="previewed"]').waitFor();
  await page.waitForFunction((before) => {
    const first = document.querySelector('.item .variant:not(.placeholder)');
    return first && Number(first.dataset.ssim) !== before;
  }, at80[0]);
  const at20 = await ssims(item);
  assert.ok(at20.every((s, i) => s < at80[i]), `q20 ${at20} vs q80 ${at80}`);
  await item.locator('.key').fill('score/photo.jpg');
  await item.locator('button.upload').click();
  await newestItem('photo-2725x2225.jpg', 'verified');
  // `verified` means every stored variant matched its preview: bytes and SSIM.
  assert.equal(await item.locator('.stored.ok').count(), 3);
  await page.fill('#quality', '80');
  await page.dispatchEvent('#quality', 'change');
});

test('an SVG and a bomb are refused in the browser, with the server\'s message, and nothing is sent', async () => {
  const before = imagePosts.length;
  await drop('drawing.svg', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'), 'image/svg+xml');
  const svg = await newestItem('drawing.svg', 'refused');
  const svgMessage = await svg.locator('.error').textContent();
  assert.match(svgMessage, /unsupported image format \(svg\)/);

  // 20000x20000 declared in a PNG header: refused before decoding, in the browser too.
  const bomb = pngHeaderClaiming(20000, 20000);
  await drop('bomb.png', bomb, 'image/png');
  const refused = await newestItem('bomb.png', 'refused');
  const bombMessage = await refused.locator('.error').textContent();
  assert.match(bombMessage, /20000x20000 = 400000000 pixels; the limit is 50000000 pixels/);
  assert.ok(await refused.locator('.error').isVisible());
  assert.ok(await refused.locator('button.upload').isDisabled());
  assert.equal(imagePosts.length, before, 'no upload was sent');

  // The server says the same words for the same file.
  const form = new FormData();
  form.append('file', new Blob([bomb]), 'bomb.png');
  form.append('s3Key', 'bomb.png');
  const answer = await (await fetch(`${base}/image`, { method: 'POST', body: form })).json();
  assert.equal(answer.error.message, bombMessage);
});

test('the static build talks to the API on another origin', async () => {
  const built = spawnSync('cargo', ['xtask', 'demo', '--out', staticSite.root, '--api', base], { cwd: repo, encoding: 'utf8' });
  assert.equal(built.status, 0, built.stderr);
  const other = await context.newPage();
  other.on('console', (msg) => { if (msg.type() === 'error') consoleErrors.push(`${msg.text()} at ${msg.location().url}`); });
  await other.goto(`${staticOrigin}/`);
  await other.locator('#module-info[data-loaded-sha256]').waitFor();
  await other.setInputFiles('#file-input', join(repo, 'resize-wasm/tests/fixtures/exif/Portrait_6.jpg'));
  const item = other.locator('.item[data-state="previewed"]');
  await item.waitFor();
  await item.locator('.key').fill('static/portrait.jpg');
  await item.locator('button.upload').click();
  await other.locator('.item[data-state="verified"]').waitFor();
  const stored = await fetch(`${base}/image/static/portrait.jpg_200`);
  assert.equal(stored.status, 200);
  await other.close();
});

test('axe-core finds no accessibility violations in the page, its queue, chooser and compare view', async () => {
  // The queue holds every kind of item by now (previewed, stored, refused, with metadata); open
  // a chooser and a compare view so they are checked too.
  // Earlier tests' option changes preview every unstored item again, and under load some may
  // still be computing: wait for the queue to settle, so that `first()` keeps meaning one item
  // and the compare view opens on the variants shown, not on ones about to be replaced.
  const settled = () => page.waitForFunction(() =>
    [...document.querySelectorAll('.item .status')].every((s) => !s.textContent.startsWith('Computing')));
  await settled();
  const item = page.locator('.item[data-state="previewed"]').first();
  await item.locator('.choice-mode').selectOption('crop');
  await settled();
  await item.locator('.variant:not(.placeholder) .compare-button').first().click();
  await item.locator('.compare').waitFor();
  // Evaluated through the debugging protocol, which the page's CSP does not govern.
  await page.evaluate(readFileSync(join(here, '../node_modules/axe-core/axe.min.js'), 'utf8'));
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => `${v.id} (${v.impact}): ${v.help}: ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
  });
  assert.deepEqual(violations, []);
  // The check can fail: an image without a text alternative is reported.
  const control = await page.evaluate(async () => {
    const img = Object.assign(document.createElement('img'), { src: 'data:,' });
    document.querySelector('main').append(img);
    const result = await window.axe.run(img, { runOnly: ['image-alt'] });
    img.remove();
    return result.violations.map((v) => v.id);
  });
  assert.deepEqual(control, ['image-alt']);
});

test('works at 375 px wide with no console errors', async () => {
  await page.setViewportSize({ width: 375, height: 800 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `page scrolls sideways by ${overflow}px at 375 px`);
  await page.screenshot({ path: join(artifacts, 'demo-375.png'), fullPage: true });
  assert.deepEqual(consoleErrors, [], `console errors; failed responses: ${failedResponses.join(', ')}`);
});

/** A PNG that is only a signature and a header declaring width x height (plus a tiny IDAT). */
function pngHeaderClaiming(width, height) {
  const chunk = (type, data) => {
    const body = Buffer.concat([Buffer.from(type), data]);
    const length = Buffer.alloc(4); length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0); ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; ihdr[9] = 0;
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', ihdr), chunk('IDAT', Buffer.from([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])), chunk('IEND', Buffer.alloc(0))]);
}

function crc32(bytes) {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** A plain static file server, as S3 or any CDN would be, for the built demo. */
async function serveStatic(root) {
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };
  const server = createServer((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    const file = join(root, path === '/' ? 'index.html' : path.slice(1));
    if (!file.startsWith(root) || !existsSync(file)) { res.writeHead(404).end(); return; }
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  server.root = root;
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return server;
}
