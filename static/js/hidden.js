// Hidden space: the data and the view's grid lines as a chosen hidden layer sees them (the
// warped-grid picture). The server projects them (the `hidden` command); this view asks for a
// fresh projection while it is open and frames arrive — at most every REFRESH_MS, one request
// at a time — and draws it on its own canvas in place of the output plot.

import { CLASS_COLORS, diverging } from './colors.js';

const REFRESH_MS = 250;  // at most 4 requests a second
const PAD = 28;          // pixels around the drawn picture (the switch and the note sit there)
const GRID_INK = 'rgba(80, 90, 110, 0.45)';

export class HiddenView {
  // `send(cmd)` sends a command and resolves with its reply; `onToggle(open)` lets the page
  // show or hide what the view replaces; `showTest()` says whether test points are drawn.
  constructor({ toggle, select, canvas, note, send, onToggle, showTest }) {
    this.toggle = toggle;
    this.select = select;
    this.canvas = canvas;
    this.note = note;
    this.send = send;
    this.onToggle = onToggle;
    this.showTest = showTest;
    this.layers = [];     // units of each hidden layer
    this.kind = 'binary';
    this.open = false;
    this.inFlight = false;
    this.due = false;     // a refresh was asked for while one was in flight or too soon
    this.lastAsked = -Infinity;
    this.timer = null;
    this.last = null;     // the last reply drawn
    this.pixels = [];     // where each point was drawn, [px, py] (null if not finite)
    this.drawn = 0;       // pictures drawn
    toggle.addEventListener('change', () => this.setOpen(toggle.checked));
    select.addEventListener('change', () => { this.last = null; this.refresh(); });
  }

  // The network's hidden layers changed (units per layer) or the problem kind did.
  setNetwork(layers, kind) {
    const same = JSON.stringify(layers) === JSON.stringify(this.layers);
    this.kind = kind;
    if (same) return;
    const chosen = Number(this.select.value) || 1;
    this.layers = layers;
    this.select.replaceChildren(...layers.map((units, i) => {
      const o = document.createElement('option');
      o.value = String(i + 1);
      o.textContent = `layer ${i + 1} (${units})`;
      return o;
    }));
    this.select.value = String(Math.min(chosen, Math.max(layers.length, 1)));
    this.select.disabled = !layers.length;
    this.toggle.disabled = !layers.length;
    if (!layers.length && this.open) { this.toggle.checked = false; this.setOpen(false); return; }
    this.last = null;
    this.refresh();
  }

  setOpen(open) {
    this.open = open;
    this.canvas.classList.toggle('hidden', !open);
    this.note.classList.toggle('hidden', !open);
    this.onToggle(open);
    if (open) this.refresh();
  }

  // Something the picture shows changed (a frame, the points): ask again, in time.
  refresh() {
    if (!this.open || !this.layers.length) return;
    const wait = this.lastAsked + REFRESH_MS - performance.now();
    if (this.inFlight || wait > 0) {
      this.due = true;
      if (!this.inFlight && this.timer === null) {
        this.timer = setTimeout(() => { this.timer = null; this.flushDue(); }, wait);
      }
      return;
    }
    this.ask();
  }

  flushDue() {
    if (this.due) { this.due = false; this.refresh(); }
  }

  async ask() {
    this.inFlight = true;
    this.due = false;
    this.lastAsked = performance.now();
    const layer = Number(this.select.value) || 1;
    try {
      const reply = await this.send({ type: 'hidden', layer });
      if (this.open && reply.layer === (Number(this.select.value) || 1)) this.draw(reply);
    } catch (err) {
      this.note.textContent = `Hidden space unavailable: ${err.message}`;
    } finally {
      this.inFlight = false;
      if (this.due && this.timer === null) {
        const wait = Math.max(0, this.lastAsked + REFRESH_MS - performance.now());
        this.timer = setTimeout(() => { this.timer = null; this.flushDue(); }, wait);
      }
    }
  }

  // Draw the last reply again (a drawing option changed).
  redraw() {
    if (this.open && this.last) this.draw(this.last);
  }

  // The picture: equal scales on both axes, framing the points and the grid.
  draw(reply) {
    const { points, lines } = reply;
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    const take = (p) => {
      if (!p || p[0] === null || p[1] === null) return;
      x0 = Math.min(x0, p[0]); x1 = Math.max(x1, p[0]);
      y0 = Math.min(y0, p[1]); y1 = Math.max(y1, p[1]);
    };
    points.forEach(take);
    lines.forEach((line) => line.forEach(take));
    const ctx = this.canvas.getContext('2d');
    const { width: W, height: H } = this.canvas;
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, W, H);
    if (!(x1 >= x0)) { x0 = -1; x1 = 1; y0 = -1; y1 = 1; }
    const span = Math.max(x1 - x0, y1 - y0, 1e-6);
    const s = Math.min(W - 2 * PAD, H - 2 * PAD) / span;
    const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
    const px = (x) => W / 2 + (x - cx) * s;
    const py = (y) => H / 2 - (y - cy) * s;
    this.transform = { scale: s, cx, cy, width: W, height: H };

    ctx.strokeStyle = GRID_INK;
    ctx.lineWidth = 1;
    for (const line of lines) {
      ctx.beginPath();
      let pen = false;
      for (const p of line) {
        if (p[0] === null || p[1] === null) { pen = false; continue; }
        if (pen) ctx.lineTo(px(p[0]), py(p[1])); else ctx.moveTo(px(p[0]), py(p[1]));
        pen = true;
      }
      ctx.stroke();
    }

    const span_y = this.kind === 'regression' ? Math.max(1e-9, ...reply.y.map(Math.abs)) : 1;
    const showTest = this.showTest();
    this.pixels = points.map((p, i) => {
      if (p[0] === null || p[1] === null || (reply.test[i] && !showTest)) return null;
      const at = [px(p[0]), py(p[1])];
      const label = reply.y[i];
      ctx.fillStyle = this.kind === 'regression'
        ? `rgb(${diverging(label / span_y).join(',')})`
        : CLASS_COLORS[label % CLASS_COLORS.length];
      ctx.strokeStyle = reply.test[i] ? '#000' : '#fff';
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.arc(at[0], at[1], 3.5, 0, 2 * Math.PI);
      ctx.fill();
      ctx.stroke();
      return at;
    });

    const how = {
      plane: 'its two neurons as axes',
      line: 'its neuron on the x axis',
      pca: `principal axes, ${reply.explained.map((e) => `${Math.round(e * 100)}%`).join(' + ')} of the spread`,
    }[reply.method] ?? reply.method;
    this.note.textContent = `Layer ${reply.layer} at epoch ${reply.epoch}: ${how}`;
    this.canvas.dataset.method = reply.method;
    this.canvas.dataset.epoch = String(reply.epoch);
    this.last = reply;
    this.drawn++;
  }
}
