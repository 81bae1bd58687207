// What every lesson shares: its complete starting configuration, small plotting helpers and
// the arithmetic the lessons show (a neuron's losses, a small network's forward and backward
// pass, normalized weights in raw units), all on plain arrays the page already receives.

import { DEFAULTS as PAGE_DEFAULTS } from '../config.js';

// Every configuration key the session takes, so that nothing leaks from one lesson to the next.
export function fullConfig(changes) {
  const config = { ...PAGE_DEFAULTS, ...changes };
  delete config.fps;  // the page's frame rate is the reader's, not the lesson's
  return config;
}

export const AGE = {
  dataset: 'age', points: 300, noise: 0, hidden: [], features: ['x1'], normalize: true,
  method: 'sgd', lr: 0.3, batch_size: 2000, loss: 'cross_entropy', regularization: 'none',
  speed: 1, seed: 3, train_ratio: 0.7, threshold: 0.5,
};
export const ONE_NEURON = {
  dataset: 'gauss', points: 200, noise: 0, hidden: [], features: ['x1', 'x2'], normalize: false,
  method: 'sgd', lr: 0.03, batch_size: 10, loss: 'cross_entropy', regularization: 'none',
  speed: 1, seed: 1, train_ratio: 0.5, threshold: 0.5,
};

export const PLOT_CONFIG = { displayModeBar: false, responsive: true };
export const SMALL = {
  margin: { l: 34, r: 6, t: 6, b: 26 }, font: { size: 10 },
  paper_bgcolor: 'rgba(0,0,0,0)', plot_bgcolor: '#fff',
};
export const BLUE = '#0877bd';
export const ORANGE = '#f59322';

export const range = (a, b, n) => Array.from({ length: n }, (_, i) => a + ((b - a) * i) / (n - 1));
export const sigmoid = (z) => 1 / (1 + Math.exp(-z));
export const fmt = (v, digits = 3) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits));
export const pct = (v, digits = 0) => (Number.isFinite(v) ? `${(100 * v).toFixed(digits)} %` : '–');

export function plotInto(el, traces, layout) {
  if (!window.Plotly || !el) return;
  window.Plotly.react(el, traces, { ...SMALL, ...layout, datarevision: Date.now() }, PLOT_CONFIG);
}

// --- data ----------------------------------------------------------------------------------

// The training (or test) points as feature rows, for features drawn from x1 and x2.
export function split(points, features, test = false) {
  const X = [];
  const y = [];
  points.x.forEach((p, i) => {
    if (points.test[i] !== test) return;
    X.push(features.map((f) => (f === 'x2' ? p[1] : p[0])));
    y.push(points.y[i]);
  });
  return { X, y };
}

// Mean and standard deviation (over n, as the session's standardizer) of each column.
export function standardizer(X) {
  const k = X.length ? X[0].length : 0;
  const mean = Array.from({ length: k }, (_, j) => X.reduce((s, r) => s + r[j], 0) / Math.max(1, X.length));
  const std = mean.map((m, j) => {
    const v = Math.sqrt(X.reduce((s, r) => s + (r[j] - m) ** 2, 0) / Math.max(1, X.length));
    return v > 0 ? v : 1;
  });
  return { mean, std, apply: (rows) => rows.map((r) => r.map((v, j) => (v - mean[j]) / std[j])) };
}

// A one-neuron network's weights in the units of its raw inputs: w·(x − μ)/σ + b = (w/σ)·x + b − Σ wμ/σ.
export function rawNeuron(W, b, scaler) {
  const w = W.map((row, j) => row[0] / scaler.std[j]);
  const shift = W.reduce((s, row, j) => s + (row[0] * scaler.mean[j]) / scaler.std[j], 0);
  return { w, b: b[0] - shift };
}

// Cross-entropy and squared error of one sigmoid neuron (params [{W, b}]) on rows X.
export function neuronLosses(params, X, y) {
  if (!params?.length || !X.length) return { ce: null, mse: null, accuracy: null };
  const { W, b } = params[0];
  let ce = 0;
  let mse = 0;
  let right = 0;
  const eps = 1e-12;
  X.forEach((row, i) => {
    const z = row.reduce((s, v, j) => s + v * W[j][0], b[0]);
    const p = sigmoid(z);
    ce -= y[i] ? Math.log(Math.max(p, eps)) : Math.log(Math.max(1 - p, eps));
    mse += (p - y[i]) ** 2;
    if ((p >= 0.5 ? 1 : 0) === y[i]) right++;
  });
  return { ce: ce / X.length, mse: mse / X.length, accuracy: right / X.length };
}

const ACT = {
  linear: [(z) => z, () => 1],
  tanh: [Math.tanh, (z, a) => 1 - a * a],
  sigmoid: [sigmoid, (z, a) => a * (1 - a)],
  relu: [(z) => Math.max(0, z), (z) => (z > 0 ? 1 : 0)],
};

// Forward pass of a small network: every layer's pre-activations and activations, one row
// per input row. The output layer is a sigmoid (one unit).
export function forward(params, hidden, X) {
  const layers = [];
  let a = X;
  params.forEach((p, l) => {
    const name = l < hidden.length ? hidden[l].activation : 'sigmoid';
    const [f] = ACT[name] || ACT.linear;
    const z = a.map((row) => p.b.map((bj, j) => row.reduce((s, v, k) => s + v * p.W[k][j], bj)));
    a = z.map((row) => row.map(f));
    layers.push({ z, a, activation: name });
  });
  return layers;
}

// The backward pass for cross-entropy on a sigmoid output: each layer's deltas ∂L/∂z, averaged
// over the rows (signed) and their mean size, from the output back to the first hidden layer.
export function backward(params, hidden, X, y) {
  const layers = forward(params, hidden, X);
  const n = X.length;
  let delta = layers[layers.length - 1].a.map((row, i) => [row[0] - y[i]]);  // σ with cross-entropy
  const out = [];
  for (let l = layers.length - 1; l >= 0; l--) {
    const units = delta[0].length;
    out.unshift({
      mean: Array.from({ length: units }, (_, j) => delta.reduce((s, r) => s + r[j], 0) / n),
      size: Array.from({ length: units }, (_, j) => delta.reduce((s, r) => s + Math.abs(r[j]), 0) / n),
    });
    if (l === 0) break;
    const W = params[l].W;
    const prev = layers[l - 1];
    const [, der] = ACT[prev.activation] || ACT.linear;
    delta = delta.map((row, i) => W.map((wrow, k) => {
      const back = wrow.reduce((s, w, j) => s + w * row[j], 0);
      return back * der(prev.z[i][k], prev.a[i][k]);
    }));
  }
  return out;
}

// The weights of a one-input sigmoid neuron that minimise cross-entropy on (x, y): Newton's method.
export function bestNeuron(x, y) {
  let w = 0;
  let b = 0;
  for (let it = 0; it < 50; it++) {
    let gw = 0, gb = 0, hww = 0, hwb = 0, hbb = 0;
    x.forEach((v, i) => {
      const p = sigmoid(w * v + b);
      const r = p * (1 - p) + 1e-9;
      gw += (p - y[i]) * v; gb += p - y[i];
      hww += r * v * v; hwb += r * v; hbb += r;
    });
    const det = hww * hbb - hwb * hwb;
    if (!(Math.abs(det) > 0)) break;
    const dw = (hbb * gw - hwb * gb) / det;
    const db = (hww * gb - hwb * gw) / det;
    w -= dw; b -= db;
    if (Math.abs(dw) + Math.abs(db) < 1e-10) break;
  }
  return { w, b };
}

// Live numbers in a lesson's text: every element with data-live="key" shows values[key].
export function fill(ctx, values) {
  for (const [k, v] of Object.entries(values)) {
    for (const el of ctx.root.querySelectorAll(`[data-live="${k}"]`)) el.textContent = String(v);
  }
}

export const live = (key) => `<b data-live="${key}">…</b>`;
