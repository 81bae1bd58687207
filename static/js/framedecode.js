// Decoding a binary frame (see docs/protocol.md, "Binary frames"): inflate, the JSON head,
// the weights (float32, or float16 then float32), the maps' ranges and every map's bytes (a
// key frame's filtered rows undone; a delta frame added to its key frame). The decoder keeps
// the last key frame. It runs in a worker (framesworker.js), off the page's main thread.

const MAGIC = 'NPF1';

async function inflate(bytes) {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate'));
  return new Response(stream).arrayBuffer();
}

export class FrameDecoder {
  constructor() {
    this.key = null;  // the last key frame: {seq, cells}
  }

  reset() {
    this.key = null;
  }

  // {head, params, gradients (null when the frame has none), maps}; an error with
  // `missingKey` set when a delta frame's key frame is not the one held.
  async decode(buffer) {
    const magic = String.fromCharCode(...new Uint8Array(buffer, 0, 4));
    if (magic !== MAGIC) throw new Error(`unknown frame format ${magic}`);
    const body = await inflate(new Uint8Array(buffer, 4));
    const view = new DataView(body);
    const headLength = view.getUint32(0, true);
    const head = JSON.parse(new TextDecoder().decode(new Uint8Array(body, 4, headLength)));
    let at = 4 + headLength + ((4 - (headLength % 4)) % 4);

    // Floats: every layer's W (row-major) and b, the gradients alike, then the maps' ranges.
    const nMaps = head.maps.outputs + head.maps.neurons;
    const nParams = head.shapes.reduce((n, [a, b]) => n + a * b + b, 0);
    let F;
    if (head.half) {  // the weights as float16, then float32 as usual
      const nFloats = 2 * nMaps + (head.gradients ? nParams : 0);
      F = new Float32Array(nParams + nFloats);
      const H = new Uint16Array(body.slice(at, at + 2 * nParams));
      const table = halfTable();
      for (let i = 0; i < nParams; i++) F[i] = table[H[i]];
      at += 2 * nParams + ((4 - ((2 * nParams) % 4)) % 4);
      F.set(new Float32Array(body.slice(at, at + 4 * nFloats)), nParams);
      at += 4 * nFloats;
    } else {
      const nFloats = nParams * (head.gradients ? 2 : 1) + 2 * nMaps;
      F = new Float32Array(body.slice(at, at + 4 * nFloats));
      at += 4 * nFloats;
    }
    let k = 0;
    const layers = () => head.shapes.map(([rows, cols]) => {
      const W = [];
      for (let i = 0; i < rows; i++, k += cols) W.push(Array.from(F.subarray(k, k + cols)));
      const b = Array.from(F.subarray(k, k + cols));
      k += cols;
      return { W, b };
    });
    const params = layers();
    const gradients = head.gradients ? layers() : null;
    const ranges = [];
    for (let m = 0; m < nMaps; m++, k += 2) ranges.push([F[k], F[k + 1]]);

    // Maps: the outputs and the focused neuron at full size, then every neuron at `side`.
    const { outputs, neurons, focus, side } = head.maps;
    const r = head.resolution;
    const full = head.domain.length === 2 ? r * r : r;
    const small = head.domain.length === 2 ? side * side : side;
    const rowLength = head.domain.length === 2 ? [r, side] : [0, 0];
    // The dead links (TFP profile), when sent, are the last section: one byte per weight.
    const nDead = head.dead ? head.shapes.reduce((n, [a, b]) => n + a * b, 0) : 0;
    const data = new Uint8Array(body, at, body.byteLength - at - nDead);
    const dead = nDead ? deadLinks(new Uint8Array(body, body.byteLength - nDead), head.shapes) : null;
    const nFull = outputs + (focus === null ? 0 : 1);
    if (head.base === null) {
      unfilter(data, 0, nFull, full, rowLength[0]);
      unfilter(data, nFull * full, neurons, small, rowLength[1]);
      this.key = { seq: head.seq, cells: data.slice() };
    } else {
      // What changed since the key frame `base`, byte by byte.
      const key = this.key;
      if (!key || key.seq !== head.base || key.cells.length !== data.length) {
        this.key = null;
        const err = new Error(`frame ${head.seq} needs key frame ${head.base}`);
        err.missingKey = true;
        throw err;
      }
      const k = key.cells;
      for (let i = 0; i < data.length; i++) data[i] += k[i];
    }
    const offsets = [], sizes = [];
    for (let m = 0; m < outputs; m++) { offsets.push(m * full); sizes.push(full); }
    for (let n = 0; n < neurons; n++) { offsets.push(nFull * full + n * small); sizes.push(small); }
    const maps = {
      outputs, count: nMaps, size: full, ranges, data, offsets, sizes,
      focus: focus === null ? null : { index: outputs + focus, offset: outputs * full, size: full },
    };

    return { head, params, gradients, maps, dead };
  }
}

// An IEEE 754 half-precision number from its 16 bits.
function half(h) {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

// Per layer, W-shaped rows of booleans: true for a dead link.
function deadLinks(bytes, shapes) {
  let k = 0;
  return shapes.map(([rows, cols]) => Array.from({ length: rows }, () => {
    const row = Array.from(bytes.subarray(k, k + cols), (v) => v === 1);
    k += cols;
    return row;
  }));
}

let HALF = null;
// Every float16 bit pattern's value, made once.
function halfTable() {
  if (!HALF) {
    HALF = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) HALF[h] = half(h);
  }
  return HALF;
}

// Undo the filter of `count` maps of `size` cells from `offset`: each row was sent as the
// difference from the row below, each cell as the difference from its left neighbour.
function unfilter(data, offset, count, size, row) {
  if (!row) return;
  for (let m = 0; m < count; m++) {
    const o = offset + m * size;
    for (let i = o + row; i < o + size; i++) data[i] += data[i - row];
    for (let y = o; y < o + size; y += row) {
      for (let i = y + 1; i < y + row; i++) data[i] += data[i - 1];
    }
  }
}
