// Colour profiles against sharp, whose libvips converts with lcms2 (issue 11 point 1): the
// committed sources with a profile (made by resize-wasm/tests/colour.rs: Display P3, Adobe RGB,
// and CMYK with its own profile) through the module in Node and through sharp 0.35, both to sRGB.
// Each flat patch's centre must agree within a ΔE a viewer cannot see side by side. (That the
// conversion happens at all, ΔE up to 6 from the unconverted colours, is checked in colour.rs.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { repo, startHost, loadModuleInNode, unpack } from './harness.mjs';

const sharp = createRequire(join(repo, 'bench/peers/package.json'))('sharp');
sharp.concurrency(1);

/** CIE76 ΔE allowed between moxcms' and lcms2's conversions of one patch. */
const TOLERANCE = 1.5;
/** The fixtures are rows of eight 16x16 patches. */
const PATCHES = 8;
const PATCH = 16;

/** sRGB 0..255 to CIE Lab (D65). */
function lab([r, g, b]) {
  const linear = (v) => { v /= 255; return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  const [lr, lg, lb] = [r, g, b].map(linear);
  const xyz = [
    (0.4124 * lr + 0.3576 * lg + 0.1805 * lb) / 0.9505,
    0.2126 * lr + 0.7152 * lg + 0.0722 * lb,
    (0.0193 * lr + 0.1192 * lg + 0.9505 * lb) / 1.089,
  ];
  const [fx, fy, fz] = xyz.map((t) => (t > 216 / 24389 ? Math.cbrt(t) : (24389 / 27 * t + 16) / 116));
  return [116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)];
}

const deltaE = (a, b) => Math.hypot(...lab(a).map((v, i) => v - lab(b)[i]));

async function centres(png) {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  assert.deepEqual([info.width, info.height], [PATCHES * PATCH, PATCH]);
  return Array.from({ length: PATCHES }, (_, i) => {
    const at = ((PATCH / 2) * info.width + i * PATCH + PATCH / 2) * 3;
    return [data[at], data[at + 1], data[at + 2]];
  });
}

test('sources with a colour profile: the same colours as sharp', async (t) => {
  const { host, base } = await startHost();
  let module;
  try {
    module = await loadModuleInNode(base);
  } finally {
    host.kill();
  }
  for (const name of ['display-p3.jpg', 'adobe-rgb.png', 'cmyk-profile.jpg']) {
    const input = readFileSync(join(repo, 'resize-wasm/tests/fixtures', name));
    const variant = { width: PATCHES * PATCH, height: PATCH, fit: 'fill', format: 'png' };
    const ours = await centres(unpack(module.process(new Uint8Array(input), JSON.stringify({ variants: [variant] }))).variants[0]);
    const theirs = await centres(await sharp(input).resize(PATCHES * PATCH, PATCH, { fit: 'fill' }).png().toBuffer());
    const worst = Math.max(...ours.map((c, i) => deltaE(c, theirs[i])));
    t.diagnostic(`${name}: largest ΔE from sharp ${worst.toFixed(2)}; ours ${JSON.stringify(ours)}, sharp ${JSON.stringify(theirs)}`);
    assert.ok(worst <= TOLERANCE, `${name}: ΔE ${worst.toFixed(2)} from sharp > ${TOLERANCE}`);
  }
});
