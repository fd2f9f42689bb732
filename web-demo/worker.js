// Runs the resize module off the main thread. The module is the server's own file, fetched from
// the API; its packed result (see resize-wasm/ABI.md) is unpacked into a manifest and the bytes.
let glue;

self.onmessage = async (event) => {
  const message = event.data;
  if (message.type === 'init') {
    // Fetch the bytes here, so the page can show the hash of exactly what was instantiated.
    glue = Promise.all([import(message.jsUrl), fetch(message.wasmUrl)]).then(async ([module, response]) => {
      if (!response.ok) throw new Error(`the module answered ${response.status}`);
      const bytes = await response.arrayBuffer();
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
      await module.default({ module_or_path: bytes });
      const sha256 = [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
      self.postMessage({ type: 'ready', sha256 });
      return module;
    });
    glue.catch((e) => self.postMessage({ type: 'failed', message: String(e) }));
    return;
  }
  const { id, bytes, request } = message;
  try {
    const module = await glue;
    const started = performance.now();
    const packed = module.process(new Uint8Array(bytes), JSON.stringify(request));
    const ms = performance.now() - started;
    const { manifest, variants } = unpack(packed);
    // The source's ThumbHash drawn as a small PNG, by the module too.
    const hash = manifest.source.thumbhash;
    const placeholder = hash ? module.thumbhashPng(hash) : null;
    self.postMessage({ id, ok: true, manifest, variants, placeholder, ms }, variants.map((v) => v.buffer));
  } catch (thrown) {
    // The module throws its error as JSON; anything else is a trap, and this worker is done.
    let error;
    try {
      error = JSON.parse(thrown);
    } catch {
      error = { code: 'internal', message: `the module failed: ${thrown}` };
    }
    self.postMessage({ id, ok: false, error, fatal: error.code === 'internal' });
  }
};

function unpack(packed) {
  const view = new DataView(packed.buffer, packed.byteOffset, packed.byteLength);
  const length = view.getUint32(0, true);
  const manifest = JSON.parse(new TextDecoder().decode(packed.subarray(4, 4 + length)));
  let offset = 4 + length;
  const variants = manifest.variants.map((v) => {
    const bytes = packed.slice(offset, offset + v.bytes);
    offset += v.bytes;
    return bytes;
  });
  return { manifest, variants };
}
