// The diagram's links: drawn on one canvas, batched by colour and width, so a frame costs a
// few strokes whatever the number of links. Invisible SVG paths of the same curves take the
// pointer (hover shows a link's weight and gradient, click edits it); they are laid out
// once per shape and never touched by a frame, except the one under the pointer.

import { diverging } from './colors.js';

const SVG = 'http://www.w3.org/2000/svg';
const LEVELS = 20;       // colour steps on each side of zero
const WIDTH_STEP = 0.25; // px
const WIDE_LINKS = 40;   // up to this many links, the widest is 8 px

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
    this.draw();
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
    if (title) l.title.textContent = `w = ${w.toFixed(4)}` + (g == null ? '' : `, ∂L/∂w = ${g.toExponential(3)}`);
    l.path.dataset.weight = String(w);
    if (g != null) l.path.dataset.gradient = String(g);
  }

  draw() {
    const f = this.frame;
    const grads = this.showGradients && f?.gradients;
    const source = grads ? f.gradients : f?.params;
    let scale = 1;
    if (grads) {
      scale = 0;
      for (const l of this.list) scale = Math.max(scale, Math.abs(this.value(source, l) ?? 0));
      scale = scale || 1;
    }
    // Links of one colour and width share one path: a few dozen strokes a frame. When no
    // link changed its colour or width (and the hovered one is the same), nothing is drawn.
    // Many links are drawn thinner (a link over 1 px costs the canvas many times more to
    // draw): up to 8 px for a few dozen links, 1 px from a few hundred on.
    const maxWidth = Math.max(1, Math.min(8, (8 * WIDE_LINKS) / Math.max(1, this.list.length)));
    const batches = new Map();
    const keys = new Uint16Array(this.list.length + 2);
    this.list.forEach((l, n) => {
      const v = source ? this.value(source, l) : undefined;
      // Gradients are drawn as the step they call for (−gradient), scaled to the largest.
      const shown = v === undefined ? 0 : grads ? -v / scale : v;
      const level = Math.round(Math.max(-1, Math.min(1, shown)) * LEVELS);
      const width = v === undefined ? 1 : Math.min(maxWidth, 0.5 + Math.abs(shown) * (grads ? 5 : 2) * (maxWidth / 8));
      const key = (level + LEVELS) * 64 + Math.round(width / WIDTH_STEP) + (v === undefined ? 32768 : 0);
      keys[n] = key;
      let batch = batches.get(key);
      if (!batch) batches.set(key, (batch = { level, width, grey: v === undefined, links: [] }));
      batch.links.push(l);
    });
    keys[this.list.length] = this.hovered ? this.list.indexOf(this.hovered) + 1 : 0;
    keys[this.list.length + 1] = this.focused ? this.list.indexOf(this.focused) + 1 : 0;
    const last = this.drawn;
    if (last && last.length === keys.length && last.every((k, n) => k === keys[n])) return;
    this.drawn = keys;
    const ctx = this.canvas.getContext('2d');
    const dpr = this.canvas.width / (parseFloat(this.canvas.style.width) || 1);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    for (const b of batches.values()) {
      const c = diverging(b.level / LEVELS);
      ctx.strokeStyle = b.grey ? '#ccc' : `rgb(${c[0]},${c[1]},${c[2]})`;
      ctx.lineWidth = Math.round(b.width / WIDTH_STEP) * WIDTH_STEP;
      ctx.beginPath();
      for (const l of b.links) curve(ctx, l);
      ctx.stroke();
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
