// The service we replace, rebuilt for the service benchmark: POST /image with a multipart form
// (`file`, `s3Key`), three sharp pipelines (`resize(s, s).jpeg()`), files written to disk, 201.
//   node seed-server.mjs PORT DIR     prints "listening" once it accepts connections
// sharp with its defaults (libuv's thread pool, libvips threads), as the original ran.
import { createServer } from 'node:http';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import sharp from 'sharp';

const [port, dir] = process.argv.slice(2);
await mkdir(dir, { recursive: true });

const server = createServer(async (req, res) => {
  const reply = (status, body) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  try {
    if (req.method !== 'POST' || req.url !== '/image') return reply(404, { error: 'not found' });
    // Node's own multipart parser (undici's Request.formData), so the server needs only sharp.
    const form = await new Request('http://localhost/image', {
      method: 'POST', headers: req.headers, body: Readable.toWeb(req), duplex: 'half',
    }).formData();
    const file = form.get('file');
    const key = String(form.get('s3Key') || '').replaceAll('/', '_');
    if (!file || !key) return reply(400, { error: 'file and s3Key are required' });
    const input = Buffer.from(await file.arrayBuffer());
    const keys = [];
    for (const [size, suffix] of [[456, ''], [200, '_200'], [75, '_75']]) {
      const bytes = await sharp(input).resize(size, size).jpeg().toBuffer();
      await writeFile(join(dir, key + suffix), bytes);
      keys.push(key + suffix);
    }
    reply(201, { keys });
  } catch (e) {
    reply(500, { error: String(e && e.message || e) });
  }
});
server.listen(Number(port), '127.0.0.1', () => console.log('listening'));
