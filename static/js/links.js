// The diagram's links: drawn on one canvas, batched by colour and width, so a frame costs a
// few strokes whatever the number of links. Invisible SVG paths of the same curves take the
// pointer (hover shows a link's weight and gradient, click edits it); they are laid out
// once per shape and never touched by a frame, except the one under the pointer.

import { diverging } from './colors.js';

const SVG = 'http://www.w3.org/2000/svg';
const LEVELS = 20;       // colour steps on each side of zero
const WIDTH_STEP = 0.25; // px
const DEAD_KEY = 65535;  // the batch of dead links, drawn dashed and grey
const DEAD = 'dead (L1 set it to 0; TensorFlow Playground never updates it again)';
const WIDE_LINKS = 40;   // up to this many links, the widest is 8 px
// While training, the canvas is redrawn for at most this many links a second: 1,840 links
// (8 layers of 16) about 11 times a second, a few hundred at every frame.
const LINKS_PER_SECOND = 20000;

export class Links {
  // root: the diagram element; onEdit(event, layer, i, j) when a link is clicked.
  constructor(root, onEdit) {
    this.root = root;
    this.onEdit = onEdit;
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'links';
    this.svg = document.createElementNS(SVG, 'svg');
    this.svg.classList.add('links');
    this.list = [];       // [{layer, i, j, x0, y0, x1, y1, path, title}]
    this.hovered = null;
    this.focused = null;  // the link the keyboard is on (diagramkeys.js)
    this.frame = null;
    this.showGradients = false;
    this.drawnAt = -Infinity;
    this.later = null;    // a frame's redraw waiting for the budget
  }

  // links: [{layer, i, j, from: [x, y], to: [x, y]}] in diagram pixels; width × height the
  // drawing's size.
  build(links, width, height) {
    this.root.append(this.canvas, this.svg);
    const dpr = window.devicePixelRatio || 1;
    this.canvas.width = Math.round(width * dpr);
    this.canvas.height = Math.round(height * dpr);
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${height}px`;
    this.svg.setAttribute('width', String(width));
    this.svg.setAttribute('height', String(height));
    this.svg.replaceChildren();
    this.hovered = null;
    this.focused = null;
    this.drawn = null;
    this.list = links.map(({ layer, i, j, from, to }) => {
      const [x0, y0] = from, [x1, y1] = to;
      const path = document.createElementNS(SVG, 'path');
      const mx = (x0 + x1) / 2;
      path.setAttribute('d', `M${x0},${y0} C${mx},${y0} ${mx},${y1} ${x1},${y1}`);
      path.classList.add('link');
      path.dataset.layer = String(layer);
      path.dataset.from = String(i);
      path.dataset.to = String(j);
      const title = document.createElementNS(SVG, 'title');
      path.appendChild(title);
      const link = { layer, i, j, x0, y0, x1, y1, path, title };
      path.addEventListener('click', (ev) => this.onEdit(ev, layer, i, j));
      path.addEventListener('mouseenter', () => { this.hovered = link; this.describe(link); this.draw(); });
      path.addEventListener('mouseleave', () => { if (this.hovered === link) { this.hovered = null; this.draw(); } });
      this.svg.appendChild(path);
      return link;
    });
    this.draw();
  }

  // Every frame: the canvas is redrawn; the hovered link's title follows, and when the
  // network is not training (frames are rare) every link's data attributes too.
  update(frame) {
    this.frame = frame;
    if (this.hovered) this.describe(this.hovered);
    if (frame.status !== 'training') for (const l of this.list) this.describe(l, false);
    this.draw(frame.status === 'training');
  }

  value(source, l) {
    return source?.[l.layer]?.W[l.i]?.[l.j];
  }

  describe(l, title = true) {
    const f = this.frame;
    if (!f) return;
    const w = this.value(f.params, l);
    if (w === undefined) return;
    const g = f.gradients ? this.value(f.gradients, l) : null;
    const dead = this.dead(l);
    if (title) l.title.textContent = `w = ${w.toFixed(4)}` + (dead ? `, ${DEAD}` : g == null ? '' : `, ∂L/∂w = ${g.toExponential(3)}`);
    l.path.dataset.weight = String(w);
    if (dead) l.path.dataset.dead = 'true'; else delete l.path.dataset.dead;
    if (g != null) l.path.dataset.gradient = String(g);
  }

  // Whether L1 killed the link (TensorFlow Playground profile).
  dead(l) {
    return this.frame?.dead?.[l.layer]?.[l.i]?.[l.j] === true;
  }

  // Redraw the canvas if a link's colour or width changed, or the hovered or focused link;
  // `soon`: a frame's change, which may wait for the budget (see LINKS_PER_SECOND).
  draw(soon = false) {
    const f = this.frame;
    const grads = this.showGradients && f?.gradients;
    const source = grads ? f.gradients : f?.params;
    const list = this.list;
    const n = list.length;
    let scale = 1;
    if (grads) {
      scale = 0;
      for (const l of list) scale = Math.max(scale, Math.abs(this.value(source, l) ?? 0));
      scale = scale || 1;
    }
    // Many links are drawn thinner (a link over 1 px costs the canvas many times more to
    // draw): up to 8 px for a few dozen links, 1 px from a few hundred on.
    const maxWidth = Math.max(1, Math.min(8, (8 * WIDE_LINKS) / Math.max(1, n)));
    const gain = (grads ? 5 : 2) * (maxWidth / 8);
    // Each link's look as a number: its colour level and width step (grey when unknown).
    const keys = new Uint16Array(n + 2);
    const last = this.drawn;
    let changed = !last || last.length !== keys.length;
    for (let k = 0; k < n; k++) {
      const l = list[k];
      const v = source?.[l.layer]?.W[l.i]?.[l.j];
      let key = 32768;
      if (this.dead(l)) key = DEAD_KEY;
      else if (v !== undefined) {
        // Gradients are drawn as the step they call for (−gradient), scaled to the largest.
        const shown = grads ? -v / scale : v;
        const level = Math.round(Math.max(-1, Math.min(1, shown)) * LEVELS);
        const width = Math.min(maxWidth, 0.5 + Math.abs(shown) * gain);
        key = (level + LEVELS) * 64 + Math.round(width / WIDTH_STEP);
      }
      keys[k] = key;
      if (!changed && last[k] !== key) changed = true;
    }
    keys[n] = this.hovered ? list.indexOf(this.hovered) + 1 : 0;
    keys[n + 1] = this.focused ? list.indexOf(this.focused) + 1 : 0;
    if (!changed && last[n] === keys[n] && last[n + 1] === keys[n + 1]) return;
    // A frame's changes on a large network wait until the budget allows, then the newest
    // is drawn; the pointer's and the keyboard's are drawn at once.
    const now = performance.now();
    const due = this.drawnAt + (1000 * n) / LINKS_PER_SECOND;
    if (soon && now < due) {
      this.later ??= setTimeout(() => { this.later = null; this.draw(); }, due - now);
      return;
    }
    clearTimeout(this.later);
    this.later = null;
    this.drawnAt = now;
    this.drawn = keys;
    // Links of one colour and width share one path: a few dozen strokes a frame.
    const batches = new Map();
    for (let k = 0; k < n; k++) {
      let batch = batches.get(keys[k]);
      if (!batch) batches.set(keys[k], (batch = []));
      batch.push(list[k]);
    }
    const ctx = this.canvas.getContext('2d');
    const dpr = this.canvas.width / (parseFloat(this.canvas.style.width) || 1);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    for (const [key, links] of batches) {
      const grey = key === 32768;
      const c = diverging((Math.floor(key / 64) - LEVELS) / LEVELS);
      ctx.strokeStyle = grey ? '#ccc' : `rgb(${c[0]},${c[1]},${c[2]})`;
      ctx.lineWidth = grey ? 1 : (key % 64) * WIDTH_STEP;
      if (key === DEAD_KEY) { ctx.strokeStyle = '#999'; ctx.lineWidth = 1; ctx.setLineDash([3, 3]); }
      ctx.beginPath();
      for (const l of links) curve(ctx, l);
      ctx.stroke();
      ctx.setLineDash([]);
    }
    if (this.hovered) {
      ctx.strokeStyle = '#000';
      ctx.lineWidth = 2;
      ctx.beginPath();
      curve(ctx, this.hovered);
      ctx.stroke();
    }
    if (this.focused) {  // outlined: a light halo around a dark line, seen on any colour
      for (const [style, width] of [['#fff', 6], ['#000', 2.5]]) {
        ctx.strokeStyle = style;
        ctx.lineWidth = width;
        ctx.beginPath();
        curve(ctx, this.focused);
        ctx.stroke();
      }
    }
  }
}

function curve(ctx, l) {
  const mx = (l.x0 + l.x1) / 2;
  ctx.moveTo(l.x0, l.y0);
  ctx.bezierCurveTo(mx, l.y0, mx, l.y1, l.x1, l.y1);
}
