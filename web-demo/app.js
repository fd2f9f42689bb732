// The demo: files in, previews computed by the module in a worker, then stored by the server and
// checked byte for byte against the previews.

// The API's base: the meta tag's URL, or else the folder this page came from (API Gateway serves
// the page under its stage, /dev/, and the API's paths are under it too).
const apiMeta = document.querySelector('meta[name="resize-api"]').content.trim();
const apiBase = new URL(apiMeta ? apiMeta.replace(/\/?$/, '/') : './', location.href);
// API paths (`/config`, a manifest's `/image/...`) are relative to that base; absolute URLs (a
// CDN in the manifest) stay as they are.
const apiUrl = (path) => new URL(path.replace(/^\//, ''), apiBase).href;
const $ = (selector, root = document) => root.querySelector(selector);

const state = { config: null, worker: null, jobs: new Map(), nextJob: 0, items: [] };

async function main() {
  try {
    const response = await fetch(apiUrl('/config'));
    if (!response.ok) throw new Error(`GET /config answered ${response.status}`);
    state.config = await response.json();
  } catch (e) {
    showPageError(`Cannot reach the resize API: ${e.message}`);
    return;
  }
  fillControls(state.config);
  startWorker();
  wireInputs();
}

function fillControls(config) {
  const preset = config.variants[0];
  const fill = (select, values, current) => {
    select.replaceChildren(...values.map((v) => new Option(v, v, false, v === current)));
  };
  fill($('#fit'), config.allowed.fit, preset.fit);
  fill($('#position'), config.allowed.position, preset.position);
  fill($('#format'), config.allowed.format, preset.format);
  $('#quality').value = preset.quality;
  for (const control of ['#fit', '#position', '#format', '#quality']) {
    $(control).addEventListener('change', () => state.items.filter((i) => !i.stored).forEach(preview));
  }
  const sizes = config.variants.map((v) => `${v.width}×${v.height}`).join(', ');
  $('#limits').textContent =
    `Variants ${sizes}. Up to ${formatBytes(config.limits.maxUploadBytes)}, ` +
    `${(config.limits.maxInputPixels / 1e6).toFixed(0)} Mpx; JPEG, PNG, WebP, GIF, BMP, TIFF.`;
  $('#module-info').textContent = `Loading the module (sha256 ${config.module.sha256})…`;
  if (config.auth?.apiKeyRequired) showApiKeyField();
}

/// Behind API Gateway, storing needs a usage-plan key; it lives in this tab only.
const API_KEY_STORAGE = 'resize-api-key';

function showApiKeyField() {
  const input = $('#api-key');
  input.value = sessionStorage.getItem(API_KEY_STORAGE) ?? '';
  input.addEventListener('input', () => sessionStorage.setItem(API_KEY_STORAGE, input.value.trim()));
  $('#api-key-field').hidden = false;
  $('#api-key-help').hidden = false;
}

/// Headers for the writing routes: the key when the server asks for one.
function writeHeaders() {
  const key = sessionStorage.getItem(API_KEY_STORAGE);
  return state.config.auth?.apiKeyRequired && key ? { [state.config.auth.header]: key } : {};
}

/// The hash of the bytes the worker instantiated, against the hash of the module the server runs.
function showModule(loaded) {
  const info = $('#module-info');
  const same = loaded === state.config.module.sha256;
  info.dataset.loadedSha256 = loaded;
  info.textContent = same
    ? `Module sha256 ${loaded}: the same file the server runs.`
    : `Module sha256 ${loaded} differs from the server's ${state.config.module.sha256}.`;
}

function startWorker() {
  state.worker = new Worker('worker.js', { type: 'module' });
  state.worker.onmessage = (event) => {
    if (event.data.type === 'ready') return showModule(event.data.sha256);
    if (event.data.type === 'failed') return showPageError(`The resize module did not load: ${event.data.message}`);
    const job = state.jobs.get(event.data.id);
    state.jobs.delete(event.data.id);
    if (event.data.fatal) restartWorker();
    job?.(event.data);
  };
  state.worker.postMessage({ type: 'init', jsUrl: apiUrl(state.config.module.js), wasmUrl: apiUrl(state.config.module.wasm) });
}

/// After a trap the module's memory cannot be trusted: start afresh, failing what was pending.
function restartWorker() {
  state.worker.terminate();
  for (const [id, resolve] of state.jobs) {
    state.jobs.delete(id);
    resolve({ ok: false, error: { code: 'internal', message: 'the module stopped; add the file again' } });
  }
  startWorker();
}

function runModule(bytes, request) {
  const id = state.nextJob++;
  return new Promise((resolve) => {
    state.jobs.set(id, resolve);
    state.worker.postMessage({ id, bytes, request });
  });
}

function wireInputs() {
  const zone = $('#drop-zone');
  zone.addEventListener('dragover', (e) => { e.preventDefault(); zone.classList.add('over'); });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    addFiles(e.dataTransfer.files);
  });
  $('#file-input').addEventListener('change', (e) => { addFiles(e.target.files); e.target.value = ''; });
  $('#pick-button').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); $('#file-input').click(); }
  });
  document.addEventListener('paste', (e) => {
    const files = [...(e.clipboardData?.files ?? [])];
    if (files.length) addFiles(files);
  });
}

/// The request the server will build from the same form fields (preset + options).
function currentOptions() {
  return {
    fit: $('#fit').value,
    position: $('#position').value,
    format: $('#format').value,
    quality: Number($('#quality').value),
  };
}

/// The previews also ask for each variant's quality score (SSIM against the source at its size);
/// `choice` is the person's crop box or focus point (`{ crop: [x, y, w, h] }`, `{ focus: [x, y] }`).
function requestFor(options, choice) {
  const { request } = state.config;
  return { ...request, ...choice, score: true, variants: request.variants.map((v) => ({ ...v, ...options })) };
}

function addFiles(files) {
  for (const file of files) {
    const node = $('#item-template').content.firstElementChild.cloneNode(true);
    const item = { file, node, previews: [], stored: false, busy: false, choice: null };
    $('.name', node).textContent = file.name || 'pasted image';
    $('.key', node).value = file.name || `pasted-${Date.now()}.png`;
    $('.upload', node).addEventListener('click', () => upload(item));
    wireChooser(item);
    $('#queue').prepend(node);
    state.items.push(item);
    preview(item);
  }
}

async function preview(item) {
  const { node, file } = item;
  // Options changed while an earlier preview ran: only the newest may show its result.
  const run = (item.runs = (item.runs ?? 0) + 1);
  const stale = () => run !== item.runs;
  setError(item, null);
  $('.upload', node).disabled = true;
  // The server's byte limit, with the server's words, before anything is read or sent. Past
  // it, a server storing in S3 takes the original straight into the bucket (POST /uploads).
  const limit = viaBucket(file) ? state.config.uploads.maxSourceBytes : state.config.limits.maxUploadBytes;
  if (file.size > limit) {
    return refuse(item, `the upload is larger than the ${limit} byte limit`);
  }
  setStatus(item, 'Computing previews…');
  const options = currentOptions();
  const bytes = await file.arrayBuffer();
  // The placeholder first (the pipeline stopped once the source's ThumbHash is known), shown
  // while the variants are computed, as a page would show it while they load.
  // The placeholder depends on the source alone: options changed later do not recompute it.
  if (!item.placeholder) {
    const first = await runModule(bytes, { ...requestFor(options), stopAfter: 'placeholder' });
    if (stale()) return;
    if (!first.ok) return refuse(item, first.error.message, first.error.code);
    showPlaceholder(item, first.manifest.source, first.placeholder);
    showMetadata(item, first.manifest.source.metadata);
  }
  const choice = item.choice;
  const result = await runModule(bytes, requestFor(options, choice));
  if (stale()) return;
  if (!result.ok) return refuse(item, result.error.message, result.error.code);

  const { manifest, variants, ms } = result;
  const source = manifest.source;
  $('.source', node).textContent =
    `${source.format.toUpperCase()} ${source.width}×${source.height} · ${formatBytes(file.size)}`;
  item.options = options;
  item.chosen = choice;
  // The hash the server will store is this run's: the first (placeholder) run may have decoded
  // at another scale, and the ThumbHash follows the decoded pixels.
  node.dataset.thumbhash = source.thumbhash;
  item.source = source;
  const previews = await Promise.all(manifest.variants.map(async (info, i) => ({
    info, bytes: variants[i], sha256: await sha256(variants[i]),
  })));
  if (stale()) return;
  item.previews = previews;
  renderVariants(item);
  setStatus(item, `${manifest.variants.length} variants in ${ms.toFixed(0)} ms, in your browser`);
  node.dataset.state = 'previewed';
  $('.upload', node).disabled = false;
}

/// The ThumbHash as the first figure: the shape and colours of the source in ~25 bytes.
function showPlaceholder(item, source, png) {
  item.node.dataset.thumbhash = source.thumbhash;
  const figure = $('#variant-template').content.firstElementChild.cloneNode(true);
  figure.classList.add('placeholder');
  const img = $('img', figure);
  img.src = URL.createObjectURL(new Blob([png], { type: 'image/png' }));
  const scale = 200 / Math.max(source.width, source.height);
  img.width = Math.round(source.width * scale);
  img.height = Math.round(source.height * scale);
  img.alt = 'ThumbHash placeholder of the source';
  $('.dims', figure).textContent = 'Placeholder';
  $('.meta', figure).textContent = `ThumbHash · ${atob(source.thumbhash).length} bytes`;
  item.placeholder = figure;
  // Before the first previews it stands alone; on a re-preview the old ones stay until replaced.
  const shown = [...item.node.querySelectorAll('.variant:not(.placeholder)')];
  $('.variants', item.node).replaceChildren(figure, ...shown);
}

/// The EXIF the module found (camera, date, place): none of it reaches a variant.
function showMetadata(item, metadata) {
  const section = $('.metadata', item.node);
  section.hidden = !metadata;
  if (!metadata) return;
  const rows = [
    ['Camera', metadata.camera],
    ['Taken', metadata.taken],
    ['Place (GPS)', metadata.gps?.map((d) => d.toFixed(5)).join(', ')],
    ['Software', metadata.software],
    ['EXIF fields', String(metadata.fields)],
  ].filter(([, value]) => value);
  $('.metadata-list', section).replaceChildren(...rows.flatMap(([name, value]) => [
    Object.assign(document.createElement('dt'), { textContent: name }),
    Object.assign(document.createElement('dd'), { textContent: value }),
  ]));
}

function refuse(item, message, code = 'payload_too_large') {
  item.node.dataset.state = 'refused';
  item.node.dataset.errorCode = code;
  $('.variants', item.node).replaceChildren();
  setStatus(item, 'Not uploaded.');
  setError(item, message);
}

function renderVariants(item) {
  const figures = item.previews.map(({ info, bytes, sha256: sha }) => {
    const figure = $('#variant-template').content.firstElementChild.cloneNode(true);
    const img = $('img', figure);
    img.src = URL.createObjectURL(new Blob([bytes], { type: info.contentType }));
    img.width = info.width;
    img.height = info.height;
    img.alt = `${info.width}×${info.height} ${info.format} preview`;
    Object.assign(figure.dataset, { suffix: info.suffix, width: info.width, height: info.height, sha256: sha, ssim: info.ssim });
    $('.compare-button', figure).addEventListener('click', (e) => compare(item, info, bytes, e.currentTarget));
    $('.dims', figure).textContent = `${info.width} × ${info.height}`;
    $('.meta', figure).textContent = `${info.format.toUpperCase()} · ${formatBytes(info.bytes)} · SSIM ${info.ssim.toFixed(4)}`;
    $('.meta', figure).title = 'SSIM of the stored bytes against the source at this size: 1 is identical';
    return figure;
  });
  $('.variants', item.node).replaceChildren(...[item.placeholder, ...figures].filter(Boolean));
}

async function upload(item) {
  const { node, file, options } = item;
  const button = $('.upload', node);
  setError(item, null);
  if (state.config.auth?.apiKeyRequired && !sessionStorage.getItem(API_KEY_STORAGE)) {
    setError(item, 'This server needs an API key to store images: enter it above. Previews need none.');
    $('#api-key').focus();
    return;
  }
  button.disabled = true;
  setStatus(item, 'Storing…');
  const form = new FormData();
  try {
    if (viaBucket(file)) form.append('sourceKey', await putInBucket(item));
    else form.append('file', file, file.name || 'pasted');
  } catch (e) {
    setStatus(item, 'Not stored.');
    setError(item, e.message);
    button.disabled = false;
    return;
  }
  form.append('s3Key', $('.key', node).value);
  for (const [field, value] of Object.entries({ ...options, ...item.chosen })) form.append(field, String(value));
  form.append('score', 'true');
  let body;
  try {
    const response = await fetch(apiUrl('/image'), { method: 'POST', body: form, headers: writeHeaders() });
    body = await response.json();
    // API Gateway's own refusals (a missing or wrong key) are `{"message": ...}`.
    const refusal = body.error?.message ?? (body.message && `${body.message} (${response.status})`);
    if (!response.ok) throw new Error(refusal ?? `the server answered ${response.status}`);
  } catch (e) {
    setStatus(item, 'Not stored.');
    setError(item, e.message);
    button.disabled = false;
    return;
  }
  item.stored = true;
  node.dataset.state = 'stored';
  setStatus(item, `Stored ${body.variants.length} objects. Checking them against the previews…`);
  const figures = [...node.querySelectorAll('.variant:not(.placeholder)')];
  if (body.source.thumbhash !== node.dataset.thumbhash) {
    setError(item, 'The stored placeholder differs from the preview\'s.');
  }
  const checks = body.variants.map(async (stored, i) => {
    const figure = figures[i];
    const bytes = await (await fetch(apiUrl(stored.url))).arrayBuffer();
    const storedSha = await sha256(bytes);
    const same = storedSha === figure.dataset.sha256 && storedSha === stored.sha256
      && stored.ssim === Number(figure.dataset.ssim);
    figure.dataset.storedSha256 = storedSha;
    figure.dataset.identical = String(same);
    const line = $('.stored', figure);
    const link = Object.assign(document.createElement('a'), { href: apiUrl(stored.url), textContent: stored.key });
    line.replaceChildren(same ? '✓ identical to preview · ' : '✗ differs from preview · ', link);
    line.className = `stored ${same ? 'ok' : 'bad'}`;
    line.hidden = false;
    $('img', figure).src = apiUrl(stored.url);
    return same;
  });
  const results = await Promise.all(checks);
  const identical = results.filter(Boolean).length;
  setStatus(item, `Stored ${body.variants.length} objects; ${identical} of ${results.length} identical to the preview.`);
  node.dataset.state = identical === results.length ? 'verified' : 'mismatch';
}

/// Original and variant one over the other, a divider between them (squoosh's view). The
/// original is the module's own lossless rendering at the variant's size (the same request as
/// PNG): the pixels the variant was encoded from, so what differs is what the format lost.
async function compare(item, info, bytes, opener) {
  const panel = $('.compare', item.node);
  const index = item.previews.findIndex((p) => p.info === info);
  const request = requestFor({ ...item.options, format: 'png' }, item.chosen);
  const lossless = await runModule(await item.file.arrayBuffer(), request);
  if (!lossless.ok) return setError(item, lossless.error.message);
  const original = $('.compare-original', panel);
  const variant = $('.compare-variant', panel);
  original.src = URL.createObjectURL(new Blob([lossless.variants[index]], { type: 'image/png' }));
  variant.src = URL.createObjectURL(new Blob([bytes], { type: info.contentType }));
  original.dataset.sha256 = await sha256(lossless.variants[index]);
  variant.dataset.sha256 = await sha256(bytes);
  original.alt = `Original at ${info.width}×${info.height}, lossless`;
  variant.alt = `The ${info.format} variant, ${info.width}×${info.height}`;
  panel.dataset.suffix = info.suffix;
  $('.compare-title', panel).textContent = `${info.width} × ${info.height}: original | ${info.format.toUpperCase()}`;
  $('.compare-legend', panel).textContent =
    `Left of the divider: the original at this size (lossless). Right: the ${info.format.toUpperCase()} ` +
    `that will be stored, ${formatBytes(info.bytes)}, SSIM ${info.ssim.toFixed(4)}.`;
  const split = $('.compare-split', panel);
  const zoom = $('.compare-zoom', panel);
  split.setAttribute('aria-label', 'Divider position: original on the left, variant on the right');
  const draw = () => {
    variant.style.clipPath = `inset(0 0 0 ${split.value}%)`;
    $('.compare-line', panel).style.left = `${split.value}%`;
    for (const img of [original, variant]) img.style.width = `${info.width * Number(zoom.value)}px`;
  };
  split.oninput = draw;
  zoom.onchange = draw;
  // Back to the button that opened it, for keyboard users.
  $('.compare-close', panel).onclick = () => { panel.hidden = true; opener.focus(); };
  draw();
  panel.hidden = false;
  panel.scrollIntoView({ block: 'nearest' });
  split.focus();
}

/// The crop box or focus point, chosen on the photo (pointer or arrow keys) or typed in source
/// pixels; both travel to the server as the form fields of the same names.
function wireChooser(item) {
  const { node } = item;
  const mode = $('.choice-mode', node);
  const value = $('.choice-value', node);
  const picker = $('.picker', node);
  const view = $('.source-view', picker);
  view.src = URL.createObjectURL(item.file);
  // A format the browser cannot show (TIFF): the module's placeholder stands in for it.
  view.addEventListener('error', () => {
    const placeholder = item.placeholder && $('img', item.placeholder).src;
    if (placeholder && view.src !== placeholder) view.src = placeholder;
  });
  const choose = (choice) => {
    item.choice = choice;
    showChoice(item);
    if (!item.stored) preview(item);
  };
  mode.addEventListener('change', () => {
    value.placeholder = mode.value === 'crop' ? 'left,top,width,height' : 'x,y';
    $('.choice-field', node).hidden = !mode.value;
    picker.hidden = !mode.value;
    view.alt = mode.value === 'crop'
      ? 'The source: drag to draw the crop box'
      : 'The source: click, or use the arrow keys, to set the focus point';
    if (!mode.value) return choose(null);
    if (item.choice && !(mode.value in item.choice)) choose(null);
  });
  value.addEventListener('change', () => {
    const numbers = value.value.split(',').map((n) => Number(n.trim()));
    choose(value.value.trim() ? { [mode.value]: numbers } : null);
  });
  // Pointer position in source pixels (the image as shown is the source as seen, oriented).
  const at = (event) => {
    const box = view.getBoundingClientRect();
    const { width, height } = item.source;
    const clamp = (v, n) => Math.min(n - 1, Math.max(0, Math.floor(v * n)));
    return [clamp((event.clientX - box.left) / box.width, width), clamp((event.clientY - box.top) / box.height, height)];
  };
  let start = null;
  view.addEventListener('pointerdown', (event) => {
    if (!item.source) return;
    event.preventDefault();
    if (mode.value === 'focus') return choose({ focus: at(event) });
    start = at(event);
    view.setPointerCapture(event.pointerId);
  });
  const box = (event) => {
    const end = at(event);
    const [x, y] = [Math.min(start[0], end[0]), Math.min(start[1], end[1])];
    return { crop: [x, y, Math.abs(end[0] - start[0]) + 1, Math.abs(end[1] - start[1]) + 1] };
  };
  view.addEventListener('pointermove', (event) => {
    if (start) showChoice(item, box(event));
  });
  view.addEventListener('pointerup', (event) => {
    if (!start) return;
    const chosen = box(event);
    start = null;
    choose(chosen);
  });
  view.addEventListener('keydown', (event) => {
    const steps = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    if (mode.value !== 'focus' || !steps[event.key] || !item.source) return;
    event.preventDefault();
    const { width, height } = item.source;
    const [x, y] = item.choice?.focus ?? [Math.floor(width / 2), Math.floor(height / 2)];
    const step = (event.shiftKey ? 0.1 : 0.02) * Math.max(width, height);
    const [dx, dy] = steps[event.key];
    const clamp = (v, n) => Math.min(n - 1, Math.max(0, Math.round(v)));
    choose({ focus: [clamp(x + dx * step, width), clamp(y + dy * step, height)] });
  });
}

/// Draws the choice (or a box being dragged) over the photo and writes it in the text field.
function showChoice(item, choice = item.choice) {
  const mark = $('.mark', item.node);
  const value = $('.choice-value', item.node);
  value.value = choice ? Object.values(choice)[0].join(',') : '';
  mark.hidden = !choice || !item.source;
  if (mark.hidden) return;
  const { width, height } = item.source;
  const percent = (v, n) => `${(100 * v) / n}%`;
  if (choice.focus) {
    const [x, y] = choice.focus;
    mark.className = 'mark focus';
    Object.assign(mark.style, { left: percent(x + 0.5, width), top: percent(y + 0.5, height), width: '', height: '' });
  } else {
    const [x, y, w, h] = choice.crop;
    mark.className = 'mark crop';
    Object.assign(mark.style, { left: percent(x, width), top: percent(y, height), width: percent(w, width), height: percent(h, height) });
  }
}

/// Larger than a request to the API may be (API Gateway stops at about 6 MB), and the server
/// offers presigned uploads: the original goes to the bucket first.
function viaBucket(file) {
  return file.size > state.config.limits.maxUploadBytes && state.config.uploads?.available;
}

const CONTENT_TYPES = { jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp', gif: 'image/gif', bmp: 'image/bmp', tiff: 'image/tiff' };

/// POST /uploads for a presigned PUT, then the PUT itself; resolves to the original's key.
async function putInBucket(item) {
  setStatus(item, 'Sending the original to the bucket…');
  const contentType = CONTENT_TYPES[item.source.format];
  const response = await fetch(apiUrl('/uploads'), {
    method: 'POST',
    headers: { ...writeHeaders(), 'content-type': 'application/json' },
    body: JSON.stringify({ contentType, size: item.file.size }),
  });
  const ticket = await response.json();
  if (!response.ok) throw new Error(ticket.error?.message ?? `POST /uploads answered ${response.status}`);
  // The browser sets Content-Length itself (it is signed too, and equals the file's size).
  const headers = Object.fromEntries(Object.entries(ticket.headers).filter(([name]) => name.toLowerCase() !== 'content-length'));
  const put = await fetch(ticket.url, { method: ticket.method, headers, body: item.file });
  if (!put.ok) throw new Error(`the bucket refused the original (${put.status})`);
  setStatus(item, 'Storing…');
  return ticket.sourceKey;
}

async function sha256(bytes) {
  const digest = await crypto.subtle.digest('SHA-256', bytes);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function setStatus(item, text) { $('.status', item.node).textContent = text; }

function setError(item, message) {
  const el = $('.error', item.node);
  el.hidden = !message;
  el.textContent = message ?? '';
}

function showPageError(message) {
  const el = $('#page-error');
  el.hidden = false;
  el.textContent = message;
}

function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

main();
