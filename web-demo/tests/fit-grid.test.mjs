// sharp as the oracle of fit, position and withoutEnlargement: every combination over sources
// larger and smaller than the box, in both orientations, through the module (in Node, loaded from
// the host as the demo loads it) and through sharp 0.35 (bench/peers, installed by the test
// command). Sizes must be equal; pixels close after decoding (the resamplers differ slightly).
// Then sharp's smart crops (entropy, attention) on pictures with one thing to find.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { repo, startHost, loadModuleInNode, unpack } from './harness.mjs';

const sharp = createRequire(join(repo, 'bench/peers/package.json'))('sharp');
sharp.concurrency(1);

const sources = [[640, 480], [480, 640], [250, 180], [180, 250], [250, 400], [400, 250]];
const boxes = [[300, 200], [200, 300]];
const positions = ['centre', 'top', 'right top', 'right', 'right bottom', 'bottom', 'left bottom', 'left', 'left top'];
const fits = { cover: positions, contain: positions, fill: ['centre'], inside: ['centre'], outside: ['centre'] };
const background = '#3366cc';
/** Mean absolute difference per channel, out of 255, allowed between the two pictures. */
const TOLERANCE = 3;

/** A smooth picture with structure in both directions, so a misplaced crop or pad shows. */
function source(width, height) {
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      pixels[i] = Math.round((255 * x) / (width - 1));
      pixels[i + 1] = Math.round((255 * y) / (height - 1));
      pixels[i + 2] = Math.round(128 + 100 * Math.sin(x / 23) * Math.cos(y / 31));
    }
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } }).png().toBuffer();
}

async function loadModule() {
  const { host, base } = await startHost();
  try {
    return await loadModuleInNode(base);
  } finally {
    host.kill();
  }
}

/** The one variant's bytes from the packed result. */
function onlyVariant(packed) {
  const { manifest, variants } = unpack(packed);
  assert.equal(variants.length, 1, JSON.stringify(manifest));
  return variants[0];
}

function meanDifference(a, b) {
  let sum = 0;
  for (let i = 0; i < a.data.length; i++) sum += Math.abs(a.data[i] - b.data[i]);
  return sum / a.data.length;
}

const rgba = (png) => sharp(png).ensureAlpha().raw().toBuffer({ resolveWithObject: true });

test('fit, position and withoutEnlargement: the same sizes and pictures as sharp', async (t) => {
  const module = await loadModule();
  const failures = [];
  let cases = 0;
  let worst = { mean: 0, name: '' };
  for (const [sw, sh] of sources) {
    const input = await source(sw, sh);
    for (const [width, height] of boxes) {
      for (const [fit, places] of Object.entries(fits)) {
        for (const position of places) {
          for (const withoutEnlargement of [true, false]) {
            cases += 1;
            const name = `${sw}x${sh} into ${width}x${height} ${fit} ${position} withoutEnlargement=${withoutEnlargement}`;
            const variant = { width, height, fit, position, format: 'png', background, withoutEnlargement };
            const ours = await rgba(onlyVariant(module.process(new Uint8Array(input), JSON.stringify({ variants: [variant] }))));
            const theirs = await rgba(await sharp(input)
              .resize(width, height, { fit, position, background, withoutEnlargement, kernel: 'lanczos3' })
              .png().toBuffer());
            const size = (r) => `${r.info.width}x${r.info.height}`;
            if (size(ours) !== size(theirs)) {
              failures.push(`${name}: ${size(ours)}, sharp ${size(theirs)}`);
              continue;
            }
            let sum = 0;
            for (let i = 0; i < ours.data.length; i++) sum += Math.abs(ours.data[i] - theirs.data[i]);
            const mean = sum / ours.data.length;
            if (mean > worst.mean) worst = { mean, name };
            if (mean > TOLERANCE) failures.push(`${name}: mean difference ${mean.toFixed(2)} > ${TOLERANCE}`);
          }
        }
      }
    }
  }
  t.diagnostic(`largest mean difference: ${worst.mean.toFixed(2)} of 255 (${worst.name})`);
  assert.equal(cases, 504);
  assert.deepEqual(failures, [], `${failures.length} of ${cases} differ from sharp`);
});

/**
 * Flat surroundings with one thing to find, centred on a cell of libvips' 32x32 attention grid so
 * that neither resampler can tip the choice to a neighbouring cell: `noise` (entropy's) or a
 * skin-coloured disc (attention's).
 */
function subject(width, height, [fx, fy], kind) {
  const pixels = Buffer.alloc(width * height * 3);
  const cx = (Math.floor(fx * 32) + 0.5) * (width / 32);
  const cy = (Math.floor(fy * 32) + 0.5) * (height / 32);
  const radius = Math.min(width, height) / 10;
  let seed = 7;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const inside = (x - cx) ** 2 + (y - cy) ** 2 < radius ** 2;
      seed = (seed * 1103515245 + 12345) >>> 0;
      const [r, g, b] = !inside ? [70, 100 + Math.round((40 * y) / height), 70]
        : kind === 'noise' ? [seed & 255, (seed >> 8) & 255, (seed >> 16) & 255] : [224, 172, 140];
      pixels[i] = r; pixels[i + 1] = g; pixels[i + 2] = b;
    }
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } }).png().toBuffer();
}

/** Mean difference allowed between our smart crop and sharp's: a crop one step off shows more. */
const SMART_TOLERANCE = 1;

test('entropy and attention: the same crops as sharp', async (t) => {
  const module = await loadModule();
  const failures = [];
  let cases = 0;
  let moved = 0;
  for (const [sw, sh] of [[640, 480], [480, 640]]) {
    for (const at of [[0.15, 0.2], [0.8, 0.5], [0.5, 0.85], [0.9, 0.9]]) {
      for (const [position, kind] of [['entropy', 'noise'], ['attention', 'skin']]) {
        const input = await subject(sw, sh, at, kind);
        for (const [width, height] of [[200, 200], [300, 120], [120, 300]]) {
          cases += 1;
          const name = `${sw}x${sh} ${kind} at ${at} into ${width}x${height} ${position}`;
          const variant = { width, height, fit: 'cover', position, format: 'png' };
          const ours = await rgba(onlyVariant(module.process(new Uint8Array(input), JSON.stringify({ variants: [variant] }))));
          const theirs = await rgba(await sharp(input).resize(width, height, { fit: 'cover', position, kernel: 'lanczos3' }).png().toBuffer());
          const centred = await rgba(await sharp(input).resize(width, height, { fit: 'cover', kernel: 'lanczos3' }).png().toBuffer());
          const mean = meanDifference(ours, theirs);
          const centre = meanDifference(centred, theirs);
          if (centre > 2 * SMART_TOLERANCE) moved += 1;
          t.diagnostic(`${name}: mean difference ${mean.toFixed(2)} (sharp's centre crop: ${centre.toFixed(2)})`);
          if (mean > SMART_TOLERANCE) failures.push(`${name}: mean difference ${mean.toFixed(2)} > ${SMART_TOLERANCE}`);
        }
      }
    }
  }
  assert.equal(cases, 48);
  // The test can fail: in most cases sharp's choice is far from the centre crop.
  assert.ok(moved >= 30, `only ${moved} of ${cases} smart crops moved away from the centre`);
  assert.deepEqual(failures, [], `${failures.length} of ${cases} crops differ from sharp`);
});

/** `crop` is sharp's `extract` before `resize`: every fit over crops at odd places and sizes. */
test('crop: the same sizes and pictures as sharp\'s extract, then resize', async (t) => {
  const module = await loadModule();
  const input = await source(640, 480);
  const failures = [];
  let worst = { mean: 0, name: '' };
  let cases = 0;
  for (const [left, top, width, height] of [[101, 37, 333, 211], [0, 0, 640, 120], [7, 5, 150, 400], [400, 300, 240, 180]]) {
    for (const fit of Object.keys(fits)) {
      for (const [bw, bh] of boxes) {
        cases += 1;
        const name = `crop ${left},${top},${width},${height} into ${bw}x${bh} ${fit}`;
        const request = { variants: [{ width: bw, height: bh, fit, format: 'png', background }], crop: [left, top, width, height] };
        const ours = await rgba(onlyVariant(module.process(new Uint8Array(input), JSON.stringify(request))));
        const theirs = await rgba(await sharp(input).extract({ left, top, width, height })
          .resize(bw, bh, { fit, background, withoutEnlargement: true, kernel: 'lanczos3' }).png().toBuffer());
        const size = (r) => `${r.info.width}x${r.info.height}`;
        if (size(ours) !== size(theirs)) {
          failures.push(`${name}: ${size(ours)}, sharp ${size(theirs)}`);
          continue;
        }
        const mean = meanDifference(ours, theirs);
        if (mean > worst.mean) worst = { mean, name };
        if (mean > TOLERANCE) failures.push(`${name}: mean difference ${mean.toFixed(2)} > ${TOLERANCE}`);
      }
    }
  }
  t.diagnostic(`largest mean difference: ${worst.mean.toFixed(2)} of 255 (${worst.name})`);
  assert.equal(cases, 40);
  assert.deepEqual(failures, [], `${failures.length} of ${cases} differ from sharp`);
});
