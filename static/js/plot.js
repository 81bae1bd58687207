// The main plot: the output over the view square (or, for one-feature data, the fitted
// curve P(y | x)), the points, the neuron's line, and the mouse: add, drag, remove points.
// Takes plain data; talks to the rest of the page only through the callbacks it is given.

import { CLASS_COLORS, blendClasses, probabilityLut, regionColor, valueColor, valueLut, valueScale } from './colors.js';
import { mapAt, mapValue } from './maps.js';

const PAD = 24;          // room for the axes
const HIT = 7;           // pixels within which a click hits a point

export class Plot {
  constructor(canvas, { onAdd, onMove, onRemove }) {
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d');
    this.callbacks = { onAdd, onMove, onRemove };
    this.domain = [[-6, 6], [-6, 6]];
    this.kind = 'binary';
    this.classes = 2;
    this.points = { x: [], y: [], test: [] };
    this.maps = null;
    this.line = null;
    this.showTest = false;
    this.discretize = false;
    this.threshold = 0.5;
    this.selectedClass = 0;
    this.target = 0;      // the value of a regression point added by a click
    this.tanhOutput = false;  // the output unit is tanh, shown as (o + 1) / 2 (profile tfp)
    this.cursor = null;   // the keyboard's cursor in data coordinates, while the plot has focus
    this.eraser = false;
    this.addTest = false;
    this.neuron = null;   // index of a neuron map shown instead of the output
    this.bg = document.createElement('canvas');
    // Off screen (hidden, or scrolled away), the map is not painted; it is when it comes back.
    this.onScreen = true;
    new IntersectionObserver(([entry]) => {
      const was = this.onScreen;
      this.onScreen = entry.isIntersecting;
      if (this.onScreen && !was && this.maps) { this.paintBackground(); this.draw(); }
    }).observe(canvas);
    this.drag = null;
    this.bind();
  }

  setProblem({ domain, kind, classes, inputs }) {
    this.domain = domain;
    this.kind = kind;
    this.classes = classes;
    this.inputs = inputs;
  }

  get size() { return this.canvas.width - 2 * PAD; }

  // Data coordinates ↔ canvas pixels. For 1-D data the vertical axis is P(y = 1) in [0, 1]
  // (or the target for regression).
  yRange() { return this.inputs === 1 ? [-0.05, 1.05] : this.domain[1]; }
  toPx(x, y) {
    const [x0, x1] = this.domain[0];
    const [y0, y1] = this.yRange();
    return [PAD + ((x - x0) / (x1 - x0)) * this.size, PAD + (1 - (y - y0) / (y1 - y0)) * this.size];
  }
  fromPx(px, py) {
    const [x0, x1] = this.domain[0];
    const [y0, y1] = this.yRange();
    return [x0 + ((px - PAD) / this.size) * (x1 - x0), y0 + (1 - (py - PAD) / this.size) * (y1 - y0)];
  }

  // Where point i is drawn: its coordinates, or (x, label with a little jitter) in 1-D.
  pointPx(i) {
    const x = this.points.x[i];
    if (this.inputs === 1) {
      const jitter = (((i * 2654435761) >>> 0) % 1000) / 1000 * 0.08 - 0.04;
      return this.toPx(x[0], this.points.y[i] + jitter);
    }
    return this.toPx(x[0], x[1]);
  }

  visible(i) { return this.showTest || !this.points.test[i]; }

  hit(px, py) {
    let best = -1, bestD = HIT * HIT;
    for (let i = 0; i < this.points.x.length; i++) {
      if (!this.visible(i)) continue;
      const [qx, qy] = this.pointPx(i);
      const d = (qx - px) ** 2 + (qy - py) ** 2;
      if (d <= bestD) { best = i; bestD = d; }
    }
    return best;
  }

  eventPx(ev) {
    const r = this.canvas.getBoundingClientRect();
    return [((ev.clientX - r.left) / r.width) * this.canvas.width, ((ev.clientY - r.top) / r.height) * this.canvas.height];
  }

  inView(px, py) {
    return px >= PAD && px <= PAD + this.size && py >= PAD && py <= PAD + this.size;
  }

  bind() {
    const c = this.canvas;
    c.addEventListener('contextmenu', (ev) => {
      ev.preventDefault();
      const i = this.hit(...this.eventPx(ev));
      if (i >= 0) this.callbacks.onRemove(i);
    });
    c.addEventListener('pointerdown', (ev) => {
      if (ev.button !== 0) return;
      const [px, py] = this.eventPx(ev);
      const i = this.hit(px, py);
      if (this.eraser) {
        if (i >= 0) this.callbacks.onRemove(i);
        return;
      }
      if (i >= 0) {
        this.drag = { index: i, moved: false };
        c.setPointerCapture(ev.pointerId);
        return;
      }
      if (!this.inView(px, py)) return;
      const [x, y] = this.fromPx(px, py);
      const coords = this.inputs === 1 ? [x] : [x, y];
      this.callbacks.onAdd(coords.map((v, k) => clamp(v, this.domain[k])), this.labelAt(y, ev.shiftKey), this.addTest);
    });
    c.addEventListener('pointermove', (ev) => {
      if (!this.drag) return;
      const [px, py] = this.eventPx(ev);
      const [x, y] = this.fromPx(px, py);
      const coords = this.inputs === 1 ? [x] : [x, y];
      this.points.x[this.drag.index] = coords.map((v, k) => clamp(v, this.domain[k]));
      this.drag.moved = true;
      this.draw();
    });
    c.addEventListener('pointerup', () => {
      if (this.drag && this.drag.moved) {
        this.callbacks.onMove(this.drag.index, this.points.x[this.drag.index]);
      }
      this.drag = null;
    });
  }

  // The label of a point added at height y: the Target's value for regression, the side of
  // ½ for one-feature data, else the chosen class (shift: the class after it).
  labelAt(y, shift = false) {
    if (this.kind === 'regression') return this.target;
    if (this.inputs === 1) return y >= 0.5 ? 1 : 0;
    const k = this.kind === 'multiclass' ? this.classes : 2;
    return shift ? (this.selectedClass + 1) % k : this.selectedClass;
  }

  // The half-width of the colour scale the output map and the regression points share.
  valueScale() {
    const r = this.maps && this.maps.ranges && this.maps.ranges[0];
    if (r) return valueScale(...r);
    return this.points.y.reduce((m, v) => Math.max(m, Math.abs(v)), 1);
  }

  setPoints(points) {
    if (this.drag) return;  // the user is moving one: the server's copy follows on release
    this.points = points;
  }

  setOutput(maps, line) {
    this.maps = maps;
    this.line = line;
  }

  // Paint the background from the current maps (output, or the hovered neuron).
  paintBackground() {
    const m = this.maps;
    if (!m || this.inputs === 1 || !this.onScreen) return;
    const shown = this.neuron !== null && m.outputs + this.neuron < m.count ? mapAt(m, m.outputs + this.neuron) : null;
    const res = Math.round(Math.sqrt(shown ? shown.size : m.size));
    // The canvas and its pixels are kept while the resolution stays (resizing clears them).
    if (this.bg.width !== res) { this.bg.width = res; this.bg.height = res; this.bgImage = null; }
    const ctx = this.bg.getContext('2d');
    this.bgImage ??= ctx.createImageData(res, res);
    const img = this.bgImage;
    if (shown) {
      fillMap(img, m.data, shown.offset, res, valueLut(...m.ranges[m.outputs + this.neuron]));
    } else if (this.kind === 'multiclass') {
      this.blended = this.blended?.length === m.size ? this.blended : new Uint32Array(m.size);
      blendClasses(m.data, m.size, m.outputs, this.blended);
      const px = new Uint32Array(img.data.buffer);
      for (let row = 0; row < res; row++) px.set(this.blended.subarray(row * res, row * res + res), (res - 1 - row) * res);
    } else if (this.kind === 'regression') {
      fillMap(img, m.data, 0, res, valueLut(...m.ranges[0]));
    } else {
      const key = `${this.discretize}:${this.threshold}`;
      if (this.probLut?.key !== key) this.probLut = { key, lut: probabilityLut(this.discretize, this.threshold) };
      fillMap(img, m.data, 0, res, this.probLut.lut);
    }
    ctx.putImageData(img, 0, 0);
  }

  draw() {
    const { ctx } = this;
    const W = this.canvas.width;
    ctx.clearRect(0, 0, W, W);
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, W, W);
    if (this.inputs === 1) this.drawCurve();
    else if (this.maps) {
      ctx.imageSmoothingEnabled = !this.discretize || this.neuron !== null;
      ctx.drawImage(this.bg, PAD, PAD, this.size, this.size);
    }
    if (this.line) this.drawLine();
    this.drawPoints();
    if (this.cursor) this.drawCursor();
    this.drawAxes();
    if (this.inputs === 1 && this.crossing !== null && this.crossing !== undefined) {
      // The x where P(y = 1 | x) crosses the threshold (the 50 % age), over the points.
      const [cx, cy] = this.toPx(this.crossing, this.threshold);
      const text = `P = ${Math.round(this.threshold * 100)} % at x = ${this.crossing.toFixed(1)}`;
      ctx.font = '12px sans-serif';
      const w = ctx.measureText(text).width;
      const x = Math.min(cx + 6, PAD + this.size - w - 4);
      ctx.fillStyle = 'rgba(255,255,255,0.85)';
      ctx.fillRect(x - 2, cy - 24, w + 4, 16);
      ctx.fillStyle = '#222';
      ctx.fillText(text, x, cy - 12);
    }
  }

  drawCurve() {
    const { ctx } = this;
    const m = this.maps;
    // Decision shading along x, then the curve P(y = 1 | x) (or the fitted value).
    if (!m) return;
    const idx = this.neuron !== null && m.outputs + this.neuron < m.count ? m.outputs + this.neuron : 0;
    const n = m.size;
    const [x0, x1] = this.domain[0];
    if (this.neuron === null && this.kind === 'binary') {
      // Each grid cell's class tint, opaque, on whole pixels that neither overlap nor leave
      // the frame; runs of one class are one rectangle.
      const left = PAD, right = PAD + this.size;
      const edge = (i) => Math.round(Math.min(right, Math.max(left, this.toPx(x0 + ((i - 0.5) / (n - 1)) * (x1 - x0), 0)[0])));
      let start = 0;
      for (let i = 1; i <= n; i++) {
        const k = mapValue(m, 0, start) >= this.threshold ? 1 : 0;
        if (i < n && (mapValue(m, 0, i) >= this.threshold ? 1 : 0) === k) continue;
        const a = edge(start), b = edge(i);
        ctx.fillStyle = regionColor(k, 0.5);
        ctx.fillRect(a, PAD, b - a, this.size);
        start = i;
      }
    }
    ctx.strokeStyle = '#222';
    ctx.lineWidth = 2;
    ctx.beginPath();
    let crossing = null;
    let prev = null;
    for (let i = 0; i < n; i++) {
      const x = x0 + (i / (n - 1)) * (x1 - x0);
      let v = mapValue(m, idx, i);
      if (this.neuron !== null) {
        const [lo, hi] = m.ranges[idx];
        v = hi > lo ? (v - lo) / (hi - lo) : 0.5;
      }
      const [px, py] = this.toPx(x, v);
      if (i === 0) ctx.moveTo(px, py); else ctx.lineTo(px, py);
      if (prev && this.neuron === null && (prev.v - this.threshold) * (v - this.threshold) <= 0 && prev.v !== v) {
        crossing ??= prev.x + ((this.threshold - prev.v) / (v - prev.v)) * (x - prev.x);
      }
      prev = { x, v };
    }
    ctx.stroke();
    // The threshold level and the x where the curve crosses it (the 50 % age).
    const [, ty] = this.toPx(x0, this.threshold);
    ctx.setLineDash([4, 4]);
    ctx.strokeStyle = '#999';
    ctx.lineWidth = 1;
    ctx.beginPath(); ctx.moveTo(PAD, ty); ctx.lineTo(PAD + this.size, ty); ctx.stroke();
    if (crossing !== null && this.kind === 'binary') {
      const [cx] = this.toPx(crossing, 0);
      ctx.beginPath(); ctx.moveTo(cx, PAD); ctx.lineTo(cx, PAD + this.size); ctx.stroke();
      ctx.setLineDash([]);
      this.crossing = crossing;
    } else {
      this.crossing = null;
    }
    ctx.setLineDash([]);
  }

  // A single neuron's boundary in raw units: where its output reaches the threshold t,
  // w·x + b = logit(t) for a sigmoid unit (atanh(2t − 1) for a tanh one read as (o + 1) / 2).
  drawLine() {
    const { ctx } = this;
    const t = this.threshold;
    if (!(t > 0 && t < 1)) return;  // no finite pre-activation reaches 0 or 1
    const level = this.tanhOutput ? Math.atanh(2 * t - 1) : Math.log(t / (1 - t));
    const { w } = this.line;
    const b = this.line.b - level;
    if (this.inputs === 1 || w.length < 2) return;
    const [x0, x1] = this.domain[0];
    const [y0, y1] = this.domain[1];
    let pts;
    if (Math.abs(w[1]) > 1e-9) {
      pts = [[x0, -(w[0] * x0 + b) / w[1]], [x1, -(w[0] * x1 + b) / w[1]]];
    } else if (Math.abs(w[0]) > 1e-9) {
      pts = [[-b / w[0], y0], [-b / w[0], y1]];
    } else return;
    ctx.save();
    ctx.beginPath();
    ctx.rect(PAD, PAD, this.size, this.size);
    ctx.clip();
    ctx.strokeStyle = '#111';
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(...this.toPx(...pts[0]));
    ctx.lineTo(...this.toPx(...pts[1]));
    ctx.stroke();
    ctx.restore();
  }

  // Classes in their inks; regression targets on the output map's own colour scale, so a
  // point matches the background where the fit is right. The ring keeps every point apart
  // from the background: white for training points, black and thicker for test points
  // (dark grey for regression training points, whose fill may be white).
  drawPoints() {
    const { ctx } = this;
    const { x, y, test } = this.points;
    const scale = this.kind === 'regression' ? this.valueScale() : 1;
    for (let i = 0; i < x.length; i++) {
      if (!this.visible(i)) continue;
      const [px, py] = this.pointPx(i);
      ctx.beginPath();
      ctx.arc(px, py, 4, 0, 2 * Math.PI);
      ctx.fillStyle = this.kind === 'regression' ? valueColor(y[i], scale) : CLASS_COLORS[y[i]] || '#000';
      ctx.fill();
      ctx.lineWidth = test[i] ? 1.6 : 1;
      ctx.strokeStyle = test[i] ? '#000' : this.kind === 'regression' ? '#555' : '#fff';
      ctx.stroke();
    }
  }

  // The point nearest the keyboard's cursor, within a hit's reach (or −1).
  cursorPoint() {
    if (!this.cursor) return -1;
    return this.hit(...this.cursorPx());
  }

  cursorPx() {
    return this.toPx(this.cursor.x, this.cursor.y);
  }

  drawCursor() {
    const { ctx } = this;
    const [cx, cy] = this.cursorPx();
    ctx.save();
    ctx.strokeStyle = '#000';
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(cx - 10, cy); ctx.lineTo(cx - 4, cy); ctx.moveTo(cx + 4, cy); ctx.lineTo(cx + 10, cy);
    ctx.moveTo(cx, cy - 10); ctx.lineTo(cx, cy - 4); ctx.moveTo(cx, cy + 4); ctx.lineTo(cx, cy + 10);
    ctx.stroke();
    const i = this.cursorPoint();
    if (i >= 0) {
      const [px, py] = this.pointPx(i);
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.arc(px, py, 7, 0, 2 * Math.PI);
      ctx.stroke();
    }
    ctx.restore();
  }

  drawAxes() {
    const { ctx } = this;
    ctx.strokeStyle = '#bbb';
    ctx.lineWidth = 1;
    ctx.strokeRect(PAD, PAD, this.size, this.size);
    ctx.fillStyle = '#555';
    ctx.font = '10px sans-serif';
    const [x0, x1] = this.domain[0];
    const [y0, y1] = this.yRange();
    for (const t of ticks(x0, x1)) {
      const [px] = this.toPx(t, y0);
      ctx.fillText(String(t), px - 6, PAD + this.size + 13);
    }
    for (const t of ticks(this.inputs === 1 ? 0 : y0, this.inputs === 1 ? 1 : y1)) {
      const [, py] = this.toPx(x0, t);
      ctx.fillText(String(t), 2, py + 3);
    }
  }
}

// One res×res map (bytes from data[offset], row 0 at the bottom) through a lookup table into
// an ImageData's pixels (row 0 at the top).
function fillMap(img, data, offset, res, lut) {
  const px = new Uint32Array(img.data.buffer);
  for (let row = 0; row < res; row++) {
    const src = offset + row * res;
    const dst = (res - 1 - row) * res;
    for (let col = 0; col < res; col++) px[dst + col] = lut[data[src + col]];
  }
}

function clamp(v, [lo, hi]) { return Math.max(lo, Math.min(hi, v)); }

function ticks(lo, hi) {
  const span = hi - lo;
  const step = span > 40 ? 10 : span > 8 ? 2 : span > 2 ? 1 : 0.5;
  const out = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + 1e-9; t += step) out.push(+t.toFixed(2));
  return out;
}
