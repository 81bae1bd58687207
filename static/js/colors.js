// Colours: the classes' colours and lookup tables that turn a quantized map (bytes) into
// pixels.
//
// A class has two shades. Its points are drawn in a dark ink, chosen so that all six inks stay
// apart (CIEDE2000 ≥ 10) for normal vision and under protanopia, deuteranopia and tritanopia;
// the region the model gives to a class is at most a light tint of the same ink, so a point
// keeps a contrast of at least 3:1 against the most confident background of its own class.

export const CLASS_COLORS = ['#a85400', '#0d549c', '#007a4d', '#5f2c1c', '#005cf5', '#0b4141'];
export const REGION_TINT = 0.3;  // the share of ink in a fully confident region
const WHITE = [255, 255, 255];

export function rgb(hex) {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

const CLASS_RGB = CLASS_COLORS.map(rgb);
const mix = (a, b, t) => a.map((v, i) => Math.round(v + (b[i] - v) * t));
const pack = ([r, g, b], a = 255) => ((a << 24) | (b << 16) | (g << 8) | r) >>> 0;  // little-endian RGBA

// v in [-1, 1] → orange (negative) · white · blue (positive); `depth` is the share of ink at ±1.
export function diverging(v, depth = 1) {
  const t = Math.max(-1, Math.min(1, v)) * depth;
  return t < 0 ? mix(WHITE, CLASS_RGB[0], -t) : mix(WHITE, CLASS_RGB[1], t);
}

// A class's region colour at confidence c in [0, 1] (white at 0, the tint at 1), as '#rrggbb'.
export function regionColor(k, c = 1) {
  const [r, g, b] = mix(WHITE, CLASS_RGB[k], Math.max(0, Math.min(1, c)) * REGION_TINT);
  return `#${((r << 16) | (g << 8) | b).toString(16).padStart(6, '0')}`;
}

// The half-width of the symmetric scale values in [lo, hi] are shown on: ±1 at least.
export const valueScale = (lo, hi) => Math.max(1, Math.abs(lo), Math.abs(hi));

// A value on that scale as '#rrggbb': a regression target drawn in the colour the output
// map gives the same value.
export function valueColor(v, scale = 1) {
  const [r, g, b] = diverging(v / scale);
  return `#${((r << 16) | (g << 8) | b).toString(16).padStart(6, '0')}`;
}

// A map's byte b means lo + b/255·(hi − lo). Values are shown on a symmetric scale:
// bounded activations keep absolute colours, larger ranges are scaled to fit.
// (Built from a table of the diverging scale at DIVERGING_STEPS steps a side: a map's table
// costs 256 look-ups, not 256 colour mixes.)
const DIVERGING_STEPS = 1024;
const DIVERGING = Uint32Array.from({ length: 2 * DIVERGING_STEPS + 1 }, (_, i) => pack(diverging(i / DIVERGING_STEPS - 1)));
export function valueLut(lo, hi) {
  const lut = new Uint32Array(256);
  const scale = valueScale(lo, hi);
  for (let b = 0; b < 256; b++) {
    const t = (lo + (b / 255) * (hi - lo)) / scale;
    lut[b] = DIVERGING[Math.round((Math.max(-1, Math.min(1, t)) + 1) * DIVERGING_STEPS)];
  }
  return lut;
}

// A probability p in [0, 1]: class 0 colour at 0, white at 0.5, class 1 colour at 1;
// discretized: two flat colours split at the threshold.
export function probabilityLut(discretize = false, threshold = 0.5) {
  const lut = new Uint32Array(256);
  for (let b = 0; b < 256; b++) {
    const p = b / 255;
    const c = discretize
      ? mix(WHITE, CLASS_RGB[p >= threshold ? 1 : 0], REGION_TINT)
      : diverging(2 * p - 1, REGION_TINT);
    lut[b] = pack(c);
  }
  return lut;
}

// The probability of class k: white at 0, the class's colour at 1.
export function classLut(k) {
  const lut = new Uint32Array(256);
  for (let b = 0; b < 256; b++) lut[b] = pack(mix(WHITE, CLASS_RGB[k], (b / 255) * REGION_TINT));
  return lut;
}

// Several class-probability maps blended into one image.
export function blendClasses(data, size, classes, out32) {
  for (let i = 0; i < size; i++) {
    let r = 0, g = 0, b = 0, best = 0;
    for (let k = 0; k < classes; k++) {
      const p = data[k * size + i] / 255;
      const c = CLASS_RGB[k];
      r += p * c[0]; g += p * c[1]; b += p * c[2];
      if (p > best) best = p;
    }
    const w = REGION_TINT * Math.max(0, Math.min(1, (best - 1 / classes) / (1 - 1 / classes)));
    out32[i] = pack([255 + (r - 255) * w, 255 + (g - 255) * w, 255 + (b - 255) * w].map(Math.round));
  }
}

// Paint one R×R map (bytes at data[offset .. offset+R²), row 0 at the bottom) through a
// lookup table into a canvas of R×R pixels.
export function paintMap(ctx, data, offset, res, lut) {
  const img = ctx.createImageData(res, res);
  const px = new Uint32Array(img.data.buffer);
  for (let row = 0; row < res; row++) {
    const src = offset + row * res;
    const dst = (res - 1 - row) * res;
    for (let col = 0; col < res; col++) px[dst + col] = lut[data[src + col]];
  }
  ctx.putImageData(img, 0, 0);
}

export function paintPixels(ctx, px32, res) {
  const img = ctx.createImageData(res, res);
  const px = new Uint32Array(img.data.buffer);
  for (let row = 0; row < res; row++) {
    px.set(px32.subarray(row * res, row * res + res), (res - 1 - row) * res);
  }
  ctx.putImageData(img, 0, 0);
}
