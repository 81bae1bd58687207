// The diagram's node pictures, every node's on one canvas under the nodes' borders. A canvas
// per node costs the browser a layer, a flush and a paint each, every frame; so does every
// write into a canvas the compositor holds. Here the pictures are written into one pixel
// buffer kept for the whole drawing, and a frame puts it into the canvas once (the part that
// changed). A map sent at the size it is drawn is copied; any other size is resampled.

export class NodeMaps {
  constructor() {
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'maps';
    this.ctx = this.canvas.getContext('2d');
    this.img = null;      // the drawing's pixels (transparent but where the nodes are)
    this.px = null;       // the same, as packed RGBA
    this.dirty = null;    // [x0, y0, x1, y1] written since the last flush
    this.curves = [];     // one-input curves, stroked over the pixels at the flush
    this.dpr = 1;
  }

  // A drawing `width` × `height` CSS pixels, every node `size` wide at `corners` ([x, y]):
  // white where the nodes are (the links pass under them), transparent elsewhere.
  resize(width, height, corners, size) {
    this.dpr = window.devicePixelRatio || 1;
    const w = Math.round(width * this.dpr), h = Math.round(height * this.dpr);
    this.canvas.width = w;
    this.canvas.height = h;
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${height}px`;
    this.img = this.ctx.createImageData(w, h);
    this.px = new Uint32Array(this.img.data.buffer);
    for (const [x, y] of corners) {
      const [bx, by, side] = this.box(x, y, 0, size);
      for (let r = by; r < Math.min(h, by + side); r++) this.px.fill(0xffffffff, r * w + bx, r * w + Math.min(w, bx + side));
      this.mark(bx, by, side);
    }
    this.curves = [];
  }

  // The device-pixel box [x, y, side] of a node at (x, y), `inset` CSS pixels in.
  box(x, y, inset, size) {
    const d = this.dpr;
    return [Math.round((x + inset) * d), Math.round((y + inset) * d), Math.round((size - 2 * inset) * d)];
  }

  // The inside of a node's border, where its picture goes: {x, y, side} in device pixels.
  rect(x, y, size) {
    const [bx, by, side] = this.box(x, y, 1, size);
    return { x: bx, y: by, side };
  }

  mark(x, y, side) {
    const d = this.dirty;
    this.dirty = d
      ? [Math.min(d[0], x), Math.min(d[1], y), Math.max(d[2], x + side), Math.max(d[3], y + side)]
      : [x, y, x + side, y + side];
  }

  // One res×res map (bytes at data[offset ..], row 0 at the bottom) through a lookup table
  // of packed RGBA into `rect`, resampled (nearest cell) when res is not the rect's side.
  paint(rect, data, offset, res, lut) {
    const { px } = this;
    if (!px) return;
    const W = this.img.width;
    const { x, y, side } = rect;
    if (x + side > W || y + side > this.img.height) return;
    if (res === side) {
      for (let row = 0; row < res; row++) {
        const src = offset + (res - 1 - row) * res;
        const dst = (y + row) * W + x;
        for (let col = 0; col < res; col++) px[dst + col] = lut[data[src + col]];
      }
    } else {
      const k = res / side;
      for (let row = 0; row < side; row++) {
        const src = offset + (res - 1 - Math.min(res - 1, Math.floor((row + 0.5) * k))) * res;
        const dst = (y + row) * W + x;
        for (let col = 0; col < side; col++) px[dst + col] = lut[data[src + Math.min(res - 1, Math.floor((col + 0.5) * k))]];
      }
    }
    this.mark(x, y, side);
  }

  // A map over one input as a curve (bytes 0..255 span the map's own range, bottom to top):
  // a white square now, the curve stroked at the flush.
  curve(rect, data, offset, n) {
    const { x, y, side } = rect;
    const W = this.img?.width ?? 0;
    if (!W || x + side > W || y + side > this.img.height) return;
    for (let row = 0; row < side; row++) this.px.fill(0xffffffff, (y + row) * W + x, (y + row) * W + x + side);
    this.mark(x, y, side);
    this.curves.push({ rect, values: data.slice(offset, offset + n) });
  }

  // Put what changed into the canvas: one write a frame.
  flush() {
    const d = this.dirty;
    if (d) {
      this.dirty = null;
      this.ctx.putImageData(this.img, 0, 0, d[0], d[1], d[2] - d[0], d[3] - d[1]);
    }
    for (const c of this.curves.splice(0)) this.stroke(c.rect, c.values);
  }

  stroke({ x, y, side }, values) {
    const { ctx } = this;
    const n = values.length;
    const pad = 3 * (side / 40);
    ctx.strokeStyle = '#0877bd';
    ctx.lineWidth = 2 * (side / 40);
    ctx.save();
    ctx.beginPath();
    ctx.rect(x, y, side, side);
    ctx.clip();
    ctx.beginPath();
    for (let i = 0; i < n; i++) {
      const px = x + (i / (n - 1)) * side;
      const py = y + side - pad - (values[i] / 255) * (side - 2 * pad);
      if (i === 0) ctx.moveTo(px, py); else ctx.lineTo(px, py);
    }
    ctx.stroke();
    ctx.restore();
  }
}

// A lookup table faded towards white by `fade` (0 keeps it, 1 is white): a switched-off input.
export function fadeLut(lut, fade) {
  if (!fade) return lut;
  const out = new Uint32Array(lut.length);
  for (let i = 0; i < lut.length; i++) {
    const v = lut[i];
    const f = (c) => Math.round(c + (255 - c) * fade);
    out[i] = ((255 << 24) | (f((v >> 16) & 255) << 16) | (f((v >> 8) & 255) << 8) | f(v & 255)) >>> 0;
  }
  return out;
}
