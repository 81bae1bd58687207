// The network diagram: input features → hidden layers → output. Each node shows its
// neuron's output over the view (every node's picture on one canvas, nodemaps.js); links
// (links.js) are coloured by sign and thickened by magnitude (weights, or gradients when
// asked). Laid out for the panel's width (again when it changes), nodes never under NODE_MIN
// px. Takes plain data; reports what the user does through callbacks.

import { classLut, diverging, probabilityLut, valueLut } from './colors.js';
import { CHOICES } from './config.js';
import { DiagramKeys } from './diagramkeys.js';
import { Links } from './links.js';
import { NodeMaps, fadeLut } from './nodemaps.js';

const FEATURE_LABELS = {
  x1: 'x₁', x2: 'x₂', x1_sq: 'x₁²', x2_sq: 'x₂²', x1_x2: 'x₁x₂', sin_x1: 'sin x₁', sin_x2: 'sin x₂',
};
export const ALL_FEATURES = Object.keys(FEATURE_LABELS);
const ACTIVATIONS = CHOICES.activation;
const HEAD = 56;        // the layer heads' band (buttons, count, activation) above the nodes
const LABEL = 50;       // room for the input labels left of the first column
const NODE_MIN = 20, NODE_MAX = 38, NODE_GAP = 4;
const COLUMN_MIN = 66;  // narrower than this, the diagram scrolls sideways
const HEAD_MAX = 90;

// Where everything goes for `columns` (nodes per column) in a diagram `width` wide whose
// height is at least `base`: nodes never under NODE_MIN px; the diagram grows taller or
// wider (and scrolls) rather than shrink them.
export function layout(columns, width, base) {
  const most = Math.max(...columns);
  const size = Math.max(NODE_MIN, Math.min(NODE_MAX, Math.floor((base - HEAD - 8) / most) - NODE_GAP));
  const step = size + NODE_GAP;
  const height = Math.max(base, HEAD + most * step + 8);
  const n = columns.length;
  const span = Math.max(width - LABEL - size - 10, (n - 1) * COLUMN_MIN);
  const spacing = n > 1 ? span / (n - 1) : 0;
  const xs = columns.map((_, c) => Math.round(LABEL + c * spacing));
  const positions = columns.map((k, c) => Array.from({ length: k }, (_, r) => [xs[c], HEAD + r * step]));
  const head = Math.round(Math.min(HEAD_MAX, (n > 1 ? spacing : HEAD_MAX) - 6));
  return { size, height, width: Math.max(width, LABEL + span + size + 10), xs, positions, head };
}

export class Diagram {
  constructor(root, callbacks) {
    this.root = root;
    this.cb = callbacks;  // toggleFeature, setUnits, setActivation, editParam, hover
    this.shape = null;
    this.nodes = [];      // per column: [{el, rect}] (rect: where its picture goes)
    this.maps = new NodeMaps();
    this.classLuts = [];  // lookup tables that never change, made once
    this.luts = new Map();  // value lookup tables by range (see valueLut)
    this.biases = [];     // [{el, layer, j, shown}]
    this.links = new Links(root, (ev, layer, i, j) => this.edit(ev, layer, 'weight', [i, j]));
    this.last = null;     // the last frame drawn, to draw again after a new layout
    this.keys = new DiagramKeys(this);
    this.width = 0;
    // Off screen (scrolled away, or hidden), frames only keep their numbers; the last one is
    // drawn when the diagram comes back.
    this.onScreen = true;
    new IntersectionObserver(([entry]) => {
      const was = this.onScreen;
      this.onScreen = entry.isIntersecting;
      if (this.onScreen && !was && this.last) this.update(...this.last);
    }).observe(root);
    // Laid out again when the panel changes width (the height follows the network).
    new ResizeObserver(() => {
      if (this.structure && Math.abs(root.clientWidth - this.width) >= 1) this.relayout();
    }).observe(root);
  }

  get showGradients() { return this.links.showGradients; }
  set showGradients(on) { this.links.showGradients = on; }

  relayout() {
    this.shape = null;
    this.render(this.structure);
    if (this.last) this.update(...this.last);
  }

  // structure: {features (active, in order), inputs (1 or 2), hidden: [{units, activation}],
  // outputs, kind}
  render(structure) {
    const key = JSON.stringify(structure);
    if (key === this.shape) return;
    this.shape = key;
    this.structure = structure;
    const root = this.root;
    // Focus inside the diagram is put back on the same item after the new layout.
    const active = root.contains(document.activeElement) ? document.activeElement : null;
    const activeKey = active?.dataset.key ?? null;
    root.replaceChildren();
    root.style.height = '';
    const shown = structure.inputs === 1 ? ['x1'] : ALL_FEATURES;
    const columns = [shown.length, ...structure.hidden.map((h) => h.units), structure.outputs];
    const nCols = columns.length;
    this.width = root.clientWidth;
    const L = layout(columns, this.width || 500, root.clientHeight || 330);
    const { size, positions, xs } = L;
    root.style.height = `${L.height}px`;
    root.classList.toggle('scrolls', L.width > this.width);
    this.size = size;
    this.nodes = [];
    this.biases = [];
    this.maps.resize(L.width, L.height, positions.flat(), size);

    // Input column: every feature, the active ones bright and linked.
    this.nodes.push(shown.map((name, r) => {
      const on = structure.features.includes(name);
      const el = this.node(positions[0][r], size, `input ${on ? '' : 'off'}`);
      const rect = this.maps.rect(...positions[0][r], size);
      el.setAttribute('role', 'switch');
      el.setAttribute('aria-checked', String(on));
      el.setAttribute('aria-label', `Feature ${name}`);
      const label = document.createElement('span');
      label.className = 'name';
      label.textContent = FEATURE_LABELS[name];
      el.appendChild(label);
      const toggle = () => this.cb.toggleFeature(name, !on);
      el.addEventListener('click', toggle);
      if (structure.domain) paintFeature(this.maps, rect, name, structure.domain, on);
      return { el, rect, name, on };
    }));
    // Hidden layers and the output.
    let mapIndex = 0;
    for (let c = 1; c < nCols; c++) {
      const col = [];
      const isOut = c === nCols - 1;
      for (let r = 0; r < columns[c]; r++) {
        const el = this.node(positions[c][r], size, isOut ? 'output' : 'neuron');
        const rect = this.maps.rect(...positions[c][r], size);
        const entry = { el, rect, map: isOut ? null : mapIndex++, output: r };
        const outName = structure.outputs > 1 ? `Output: class ${r}` : 'Output';
        el.setAttribute('aria-label', isOut ? outName : `Neuron ${r + 1} of layer ${c}`);
        el.setAttribute('role', 'button');
        if (!isOut) {
          el.addEventListener('mouseenter', () => this.cb.hover(entry.map));
          el.addEventListener('mouseleave', () => this.cb.hover(null));
        }
        const bias = document.createElement('div');
        bias.className = 'bias';
        bias.title = 'bias';
        bias.addEventListener('mouseenter', () => {
          const b = this.biases.find((x) => x.el === bias);
          if (b?.value !== undefined) bias.title = `b = ${b.value.toFixed(4)}` + (b.gradient == null ? '' : `, ∂L/∂b = ${b.gradient.toExponential(3)}`);
        });
        bias.addEventListener('click', (ev) => { ev.stopPropagation(); this.edit(ev, c - 1, 'bias', [r]); });
        el.appendChild(bias);
        this.biases.push({ el: bias, layer: c - 1, j: r, shown: '' });
        col.push(entry);
      }
      this.nodes.push(col);
      if (!isOut) this.layerHead(root, xs[c] + size / 2 - L.head / 2, L.head, c - 1, structure.hidden[c - 1]);
    }
    // Links from active inputs and between consecutive columns.
    const links = [];
    const activeRows = this.activeRows = shown.map((n, r) => (structure.features.includes(n) ? r : -1)).filter((r) => r >= 0);
    for (let c = 1; c < nCols; c++) {
      const fromRows = c === 1 ? activeRows : positions[c - 1].map((_, r) => r);
      fromRows.forEach((fromRow, i) => {
        const from = positions[c - 1][fromRow];
        positions[c].forEach((to, j) => {
          links.push({ layer: c - 1, i, j, from: [from[0] + size, from[1] + size / 2], to: [to[0], to[1] + size / 2] });
        });
      });
    }
    this.links.build(links, L.width, L.height);
    root.prepend(this.links.canvas, this.links.svg, this.maps.canvas);
    this.maps.flush();
    this.keys.attach(root, active !== null && !activeKey);
    if (activeKey) this.refocus(activeKey);
    // Neuron maps are wanted at the size they are drawn: the canvas inside the border.
    this.cb.drawnSize?.(Math.round((size - 2) * (window.devicePixelRatio || 1)));
  }

  // Focus a layer head's control again after a new layout: the same one, or (when it is now
  // disabled, a layer at its limit) the other button, or the activation select.
  refocus(key) {
    const el = this.root.querySelector(`[data-key="${key}"]`);
    if (!el) return;
    const head = el.closest('.layer-head');
    (el.disabled ? head.querySelector('button:not([disabled])') ?? head.querySelector('select') : el).focus();
  }

  node([x, y], size, cls) {
    const el = document.createElement('div');
    el.className = `node ${cls}`;
    el.style.left = `${x}px`;
    el.style.top = `${y}px`;
    el.style.width = el.style.height = `${size}px`;
    this.root.appendChild(el);
    return el;
  }

  layerHead(root, x, width, layer, spec) {
    const head = document.createElement('div');
    head.className = 'layer-head';
    head.style.left = `${x}px`;
    head.style.width = `${width}px`;
    const buttons = document.createElement('div');
    buttons.className = 'buttons';
    const plus = document.createElement('button');
    plus.type = 'button'; plus.textContent = '+';
    plus.setAttribute('aria-label', `Add a neuron to layer ${layer + 1}`);
    plus.title = `Add a neuron to layer ${layer + 1}`;
    plus.dataset.key = `plus:${layer}`;
    plus.disabled = spec.units >= 16;
    plus.addEventListener('click', () => this.cb.setUnits(layer, spec.units + 1));
    const minus = document.createElement('button');
    minus.type = 'button'; minus.textContent = '−';
    minus.setAttribute('aria-label', `Remove a neuron from layer ${layer + 1}`);
    minus.title = `Remove a neuron from layer ${layer + 1}`;
    minus.dataset.key = `minus:${layer}`;
    minus.disabled = spec.units <= 1;
    minus.addEventListener('click', () => this.cb.setUnits(layer, spec.units - 1));
    buttons.append(plus, minus);
    const units = document.createElement('span');
    units.className = 'units';
    units.textContent = `${spec.units} neuron${spec.units > 1 ? 's' : ''}`;
    const select = document.createElement('select');
    select.setAttribute('aria-label', `Activation (layer ${layer + 1})`);
    select.dataset.key = `act:${layer}`;
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

  // A map's lookup table for its range, its ends rounded to 1/1024 (less than a colour step):
  // neighbours and consecutive frames mostly share one, made once.
  valueLut(lo, hi) {
    const a = Math.round(lo * 1024), b = Math.round(hi * 1024);
    const key = `${a}:${b}`;
    let lut = this.luts.get(key);
    if (!lut) {
      if (this.luts.size >= 4096) this.luts.clear();
      this.luts.set(key, (lut = valueLut(a / 1024, b / 1024)));
    }
    return lut;
  }

  edit(ev, layer, kind, index) {
    const value = this.paramValue(layer, kind, index);
    const dead = kind === 'weight' && this.links.dead({ layer, i: index[0], j: index[1] });
    this.cb.editParam({ layer, kind, index, value, dead, x: ev.clientX, y: ev.clientY });
  }

  paramValue(layer, kind, index) {
    const p = this.params?.[layer];
    if (!p) return 0;
    return kind === 'weight' ? p.W[index[0]][index[1]] : p.b[index[0]];
  }

  // Every frame: neuron maps, link colours and widths, hover titles.
  update(frame, maps, options) {
    const { discretize, threshold } = options;
    this.last = [frame, maps, options];
    this.params = frame.params;
    this.gradients = frame.gradients;
    if (!this.structure || !this.onScreen) return;
    // A frame drawn for the previous shape (it was in flight when the shape changed) has
    // other maps than these nodes: its maps are skipped.
    const expected = this.structure.outputs + this.structure.hidden.reduce((n, h) => n + h.units, 0);
    const fits = maps.count === expected && maps.outputs === this.structure.outputs;
    if (this.structure.inputs === 1 && fits) {
      // One-feature data: each node shows its output as a curve over x.
      for (let c = 1; c < this.nodes.length; c++) {
        for (const n of this.nodes[c]) {
          const m = n.map === null ? n.output : maps.outputs + n.map;
          this.maps.curve(n.rect, maps.data, maps.offsets[m], maps.sizes[m]);
        }
      }
    } else if (fits) {
      let out = null;
      if (this.structure.kind === 'binary') {
        const key = `${discretize}:${threshold}`;
        if (this.outLut?.key !== key) this.outLut = { key, lut: probabilityLut(discretize, threshold) };
        out = this.outLut.lut;
      }
      for (let c = 1; c < this.nodes.length; c++) {
        for (const n of this.nodes[c]) {
          const m = n.map === null ? (this.structure.kind === 'multiclass' ? n.output : 0) : maps.outputs + n.map;
          const res = Math.round(Math.sqrt(maps.sizes[m]));
          const at = maps.offsets[m];
          let lut;
          if (n.map !== null || this.structure.kind === 'regression') lut = this.valueLut(...maps.ranges[m]);
          else lut = out ?? (this.classLuts[n.output] ??= classLut(n.output));
          this.maps.paint(n.rect, maps.data, at, res, lut);
        }
      }
    }
    this.maps.flush();
    this.links.update(frame);
    for (const b of this.biases) {
      const v = frame.params[b.layer]?.b[b.j];
      if (v === undefined) continue;
      const c = diverging(Math.max(-1, Math.min(1, v)));
      const shown = `rgb(${c[0]},${c[1]},${c[2]})`;
      if (shown !== b.shown) { b.el.style.background = shown; b.shown = shown; }
      b.value = v;
      b.gradient = frame.gradients?.[b.layer]?.b[b.j] ?? null;
    }
    this.keys.frame(frame.status === 'training');
  }

}

const FEATURE_FNS = {
  x1: (a) => a, x2: (a, b) => b, x1_sq: (a) => a * a, x2_sq: (a, b) => b * b,
  x1_x2: (a, b) => a * b, sin_x1: (a) => Math.sin(a), sin_x2: (a, b) => Math.sin(b),
};

// An input node shows its feature over the view, scaled to its largest magnitude (faded
// when the input is off).
function paintFeature(maps, rect, name, domain, on) {
  const res = 24;
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
  maps.paint(rect, bytes, 0, res, fadeLut(valueLut(-1, 1), on ? 0 : 0.7));
}
