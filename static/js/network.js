// The network diagram: input features → hidden layers → output. Nodes are small canvases
// showing each neuron's output over the view; links are SVG paths coloured by sign and
// thickened by magnitude (weights, or gradients when asked). Takes plain data; reports what
// the user does through callbacks.

import { classLut, diverging, paintMap, probabilityLut, valueLut } from './colors.js';

const FEATURE_LABELS = {
  x1: 'x₁', x2: 'x₂', x1_sq: 'x₁²', x2_sq: 'x₂²', x1_x2: 'x₁x₂', sin_x1: 'sin x₁', sin_x2: 'sin x₂',
};
export const ALL_FEATURES = Object.keys(FEATURE_LABELS);
const ACTIVATIONS = ['tanh', 'sigmoid', 'relu', 'leaky_relu', 'elu', 'softplus', 'linear'];
const SVG = 'http://www.w3.org/2000/svg';

export class Diagram {
  constructor(root, callbacks) {
    this.root = root;
    this.cb = callbacks;  // toggleFeature, setUnits, setActivation, editParam, hover
    this.shape = null;
    this.showGradients = false;
    this.nodes = [];      // per column: [{el, canvas}]
    this.links = [];      // [{path, layer, i, j}]
    this.biases = [];     // [{el, layer, j}]
  }

  // structure: {features (active, in order), inputs (1 or 2), hidden: [{units, activation}],
  // outputs, kind}
  render(structure) {
    const key = JSON.stringify(structure);
    if (key === this.shape) return;
    this.shape = key;
    this.structure = structure;
    const root = this.root;
    root.replaceChildren();
    const W = root.clientWidth || 500;
    const H = root.clientHeight || 330;
    const shown = structure.inputs === 1 ? ['x1'] : ALL_FEATURES;
    const columns = [shown.length, ...structure.hidden.map((h) => h.units), structure.outputs];
    const nCols = columns.length;
    const left = 70, right = W - 50;
    const xs = columns.map((_, c) => (nCols === 1 ? left : left + (c * (right - left)) / (nCols - 1)));
    const top = 44;
    const maxUnits = Math.max(...columns);
    const size = Math.max(14, Math.min(38, Math.floor((H - top - 6) / maxUnits) - 4));
    const gap = size + 4;
    this.size = size;

    const svg = document.createElementNS(SVG, 'svg');
    svg.classList.add('links');
    root.appendChild(svg);
    this.nodes = [];
    const positions = columns.map((n, c) => Array.from({ length: n }, (_, r) => [xs[c], top + r * gap]));

    // Input column: every feature, the active ones bright and linked.
    this.nodes.push(shown.map((name, r) => {
      const on = structure.features.includes(name);
      const el = this.node(positions[0][r], size, `input ${on ? '' : 'off'}`);
      el.setAttribute('role', 'switch');
      el.setAttribute('aria-checked', String(on));
      el.setAttribute('aria-label', `Feature ${name}`);
      el.tabIndex = 0;
      const label = document.createElement('span');
      label.className = 'name';
      label.textContent = FEATURE_LABELS[name];
      el.appendChild(label);
      const toggle = () => this.cb.toggleFeature(name, !on);
      el.addEventListener('click', toggle);
      el.addEventListener('keydown', (ev) => { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); toggle(); } });
      if (structure.domain) paintFeature(el.querySelector('canvas'), name, structure.domain);
      return { el, canvas: el.querySelector('canvas'), name, on };
    }));
    // Hidden layers and the output.
    let mapIndex = 0;
    for (let c = 1; c < nCols; c++) {
      const col = [];
      const isOut = c === nCols - 1;
      for (let r = 0; r < columns[c]; r++) {
        const el = this.node(positions[c][r], size, isOut ? 'output' : 'neuron');
        const entry = { el, canvas: el.querySelector('canvas'), map: isOut ? null : mapIndex++, output: r };
        const outName = structure.outputs > 1 ? `Output: class ${r}` : 'Output';
        el.setAttribute('aria-label', isOut ? outName : `Neuron ${r + 1} of layer ${c}`);
        if (!isOut) {
          el.addEventListener('mouseenter', () => this.cb.hover(entry.map));
          el.addEventListener('mouseleave', () => this.cb.hover(null));
        }
        const bias = document.createElement('div');
        bias.className = 'bias';
        bias.title = 'bias';
        bias.addEventListener('click', (ev) => { ev.stopPropagation(); this.edit(ev, c - 1, 'bias', [r]); });
        el.appendChild(bias);
        this.biases.push({ el: bias, layer: c - 1, j: r });
        col.push(entry);
      }
      this.nodes.push(col);
      if (!isOut) this.layerHead(root, xs[c], c - 1, structure.hidden[c - 1]);
    }
    // Links from active inputs and between consecutive columns.
    this.links = [];
    const activeRows = shown.map((n, r) => (structure.features.includes(n) ? r : -1)).filter((r) => r >= 0);
    for (let c = 1; c < nCols; c++) {
      const fromRows = c === 1 ? activeRows : positions[c - 1].map((_, r) => r);
      fromRows.forEach((fromRow, i) => {
        positions[c].forEach((to, j) => {
          const from = positions[c - 1][fromRow];
          const path = document.createElementNS(SVG, 'path');
          const x0 = from[0] + size, y0 = from[1] + size / 2, x1 = to[0], y1 = to[1] + size / 2;
          const mx = (x0 + x1) / 2;
          path.setAttribute('d', `M${x0},${y0} C${mx},${y0} ${mx},${y1} ${x1},${y1}`);
          path.classList.add('link');
          path.setAttribute('stroke', '#ccc');
          path.setAttribute('stroke-width', '1');
          const title = document.createElementNS(SVG, 'title');
          path.appendChild(title);
          path.addEventListener('click', (ev) => this.edit(ev, c - 1, 'weight', [i, j]));
          svg.appendChild(path);
          this.links.push({ path, title, layer: c - 1, i, j });
        });
      });
    }
  }

  node([x, y], size, cls) {
    const el = document.createElement('div');
    el.className = `node ${cls}`;
    el.style.left = `${x}px`;
    el.style.top = `${y}px`;
    el.style.width = el.style.height = `${size}px`;
    const canvas = document.createElement('canvas');
    el.appendChild(canvas);
    this.root.appendChild(el);
    return el;
  }

  layerHead(root, x, layer, spec) {
    const head = document.createElement('div');
    head.className = 'layer-head';
    head.style.left = `${x}px`;
    const buttons = document.createElement('div');
    buttons.className = 'buttons';
    const plus = document.createElement('button');
    plus.type = 'button'; plus.textContent = '+';
    plus.setAttribute('aria-label', 'Add neuron');
    plus.title = `Add a neuron to layer ${layer + 1}`;
    plus.disabled = spec.units >= 16;
    plus.addEventListener('click', () => this.cb.setUnits(layer, spec.units + 1));
    const minus = document.createElement('button');
    minus.type = 'button'; minus.textContent = '−';
    minus.setAttribute('aria-label', 'Remove neuron');
    minus.title = `Remove a neuron from layer ${layer + 1}`;
    minus.disabled = spec.units <= 1;
    minus.addEventListener('click', () => this.cb.setUnits(layer, spec.units - 1));
    buttons.append(plus, minus);
    const units = document.createElement('span');
    units.className = 'units';
    units.textContent = `${spec.units} neuron${spec.units > 1 ? 's' : ''}`;
    const select = document.createElement('select');
    select.setAttribute('aria-label', `Activation (layer ${layer + 1})`);
    for (const a of ACTIVATIONS) {
      const o = document.createElement('option');
      o.value = a; o.textContent = a;
      select.appendChild(o);
    }
    select.value = spec.activation;
    select.addEventListener('change', () => this.cb.setActivation(layer, select.value));
    head.append(buttons, units, select);
    root.appendChild(head);
  }

  edit(ev, layer, kind, index) {
    const value = this.paramValue(layer, kind, index);
    this.cb.editParam({ layer, kind, index, value, x: ev.clientX, y: ev.clientY });
  }

  paramValue(layer, kind, index) {
    const p = this.params?.[layer];
    if (!p) return 0;
    return kind === 'weight' ? p.W[index[0]][index[1]] : p.b[index[0]];
  }

  // Every frame: neuron maps, link colours and widths, hover titles.
  update(frame, maps, { discretize, threshold }) {
    this.params = frame.params;
    if (!this.structure) return;
    // A frame drawn for the previous shape (it was in flight when the shape changed) has
    // other maps than these nodes: its maps are skipped.
    const expected = this.structure.outputs + this.structure.hidden.reduce((n, h) => n + h.units, 0);
    const fits = maps.count === expected && maps.outputs === this.structure.outputs;
    const res = this.structure.inputs === 1 || !fits ? 0 : Math.round(Math.sqrt(maps.size));
    if (this.structure.inputs === 1 && fits) {
      // One-feature data: each node shows its output as a curve over x.
      for (let c = 1; c < this.nodes.length; c++) {
        for (const n of this.nodes[c]) {
          const m = n.map === null ? n.output : maps.outputs + n.map;
          paintCurve(n.canvas, maps.data, m * maps.size, maps.size);
        }
      }
    }
    const cols = this.nodes.length;
    if (res) {
      for (let c = 1; c < cols; c++) {
        for (const n of this.nodes[c]) {
          const ctx = this.prepare(n.canvas, res);
          if (n.map === null) {
            const k = n.output;
            if (this.structure.kind === 'binary') paintMap(ctx, maps.data, 0, res, probabilityLut(discretize, threshold));
            else if (this.structure.kind === 'multiclass') paintMap(ctx, maps.data, k * maps.size, res, classLut(k));
            else paintMap(ctx, maps.data, 0, res, valueLut(...maps.ranges[0]));
          } else {
            const m = maps.outputs + n.map;
            paintMap(ctx, maps.data, m * maps.size, res, valueLut(...maps.ranges[m]));
          }
        }
      }
    }
    const source = this.showGradients && frame.gradients ? frame.gradients : frame.params;
    let scale = 0;
    if (this.showGradients) {
      for (const l of this.links) scale = Math.max(scale, Math.abs(source[l.layer]?.W[l.i]?.[l.j] ?? 0));
    }
    for (const l of this.links) {
      const v = source[l.layer]?.W[l.i]?.[l.j];
      if (v === undefined) continue;
      // Gradients are drawn as the step they call for (−gradient), scaled to the largest.
      const shown = this.showGradients ? -v / (scale || 1) : v;
      const c = diverging(Math.max(-1, Math.min(1, shown)));
      l.path.setAttribute('stroke', `rgb(${c[0]},${c[1]},${c[2]})`);
      l.path.setAttribute('stroke-width', String(Math.min(8, 0.5 + Math.abs(shown) * (this.showGradients ? 5 : 2))));
      const w = frame.params[l.layer].W[l.i][l.j];
      const g = frame.gradients?.[l.layer]?.W[l.i]?.[l.j] ?? null;
      l.title.textContent = `w = ${w.toFixed(4)}` + (g === null ? '' : `, ∂L/∂w = ${g.toExponential(3)}`);
      l.path.dataset.weight = String(w);
      if (g !== null) l.path.dataset.gradient = String(g);
    }
    for (const b of this.biases) {
      const v = frame.params[b.layer]?.b[b.j];
      if (v === undefined) continue;
      const c = diverging(Math.max(-1, Math.min(1, v)));
      b.el.style.background = `rgb(${c[0]},${c[1]},${c[2]})`;
      const g = frame.gradients?.[b.layer]?.b[b.j] ?? null;
      b.el.title = `b = ${v.toFixed(4)}` + (g === null ? '' : `, ∂L/∂b = ${g.toExponential(3)}`);
    }
  }

  prepare(canvas, res) {
    if (canvas.width !== res) { canvas.width = res; canvas.height = res; }
    return canvas.getContext('2d');
  }
}

const FEATURE_FNS = {
  x1: (a) => a, x2: (a, b) => b, x1_sq: (a) => a * a, x2_sq: (a, b) => b * b,
  x1_x2: (a, b) => a * b, sin_x1: (a) => Math.sin(a), sin_x2: (a, b) => Math.sin(b),
};

// An input node shows its feature over the view, scaled to its largest magnitude.
function paintFeature(canvas, name, domain) {
  const res = 24;
  canvas.width = canvas.height = res;
  const [[x0, x1], [y0, y1] = [0, 0]] = domain;
  const vals = new Float64Array(res * res);
  let scale = 1e-9;
  for (let r = 0; r < res; r++) {
    for (let c = 0; c < res; c++) {
      const v = FEATURE_FNS[name](x0 + ((c + 0.5) / res) * (x1 - x0), y0 + ((r + 0.5) / res) * (y1 - y0));
      vals[r * res + c] = v;
      scale = Math.max(scale, Math.abs(v));
    }
  }
  const bytes = new Uint8Array(res * res);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.round(((vals[i] / scale + 1) / 2) * 255);
  paintMap(canvas.getContext('2d'), bytes, 0, res, valueLut(-1, 1));
}

// A map over one input as a curve: bytes 0..255 span the map's own range, bottom to top.
function paintCurve(canvas, data, offset, n) {
  const W = 40;
  if (canvas.width !== W) { canvas.width = W; canvas.height = W; }
  const ctx = canvas.getContext('2d');
  ctx.clearRect(0, 0, W, W);
  ctx.strokeStyle = '#0877bd';
  ctx.lineWidth = 2;
  ctx.beginPath();
  for (let i = 0; i < n; i++) {
    const x = (i / (n - 1)) * W;
    const y = W - 3 - (data[offset + i] / 255) * (W - 6);
    if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
  }
  ctx.stroke();
}
