// Lessons 1–4: one neuron, the linear classifier, stacked linear layers, activations.

import {
  BLUE, ONE_NEURON, ORANGE, fill, fmt, live, neuronLosses, plotInto, range, sigmoid, split,
} from './base.js';

// Where a vector (x, y) points, in words: the side of the line where z > 0.
export function sideOf(wx, wy) {
  const n = Math.hypot(wx, wy) || 1;
  const parts = [];
  if (wy / n > 0.38) parts.push('above'); else if (wy / n < -0.38) parts.push('below');
  if (wx / n > 0.38) parts.push('to the right'); else if (wx / n < -0.38) parts.push('to the left');
  return parts.join(' and ') || 'nowhere (all weights 0)';
}

function trainAccuracy(ctx, frame) {
  const cfg = ctx.page.config();
  const { X, y } = split(ctx.page.points(), cfg.features);
  return neuronLosses(frame.params, X, y).accuracy;
}

const SLIDERS = [['w1', 'w₁', 'Weight w1', ['weight', [0, 0]]], ['w2', 'w₂', 'Weight w2', ['weight', [1, 0]]], ['b', 'b', 'Bias b', ['bias', [0]]]];

const neuron = {
  id: 'neuron', title: 'A neuron is a weighted sum and a non-linearity',
  config: ONE_NEURON,
  text: `One neuron adds up its inputs, each times a weight, plus a bias:
    <i>z</i> = <i>w</i><sub>1</sub><i>x</i><sub>1</sub> + <i>w</i><sub>2</sub><i>x</i><sub>2</sub> + <i>b</i>,
    then squashes <i>z</i> with the sigmoid σ(<i>z</i>) = 1 / (1 + e<sup>−<i>z</i></sup>).
    The black line is where <i>z</i> = 0. The weights (<i>w</i><sub>1</sub>, <i>w</i><sub>2</sub>) = ${live('w')}
    point across the line: on the side they point to, <i>z</i> &gt; 0, σ &gt; 0.5 and the neuron says class 1
    (blue); here that is ${live('side')} of the line. It gets ${live('accuracy')} of the training points right.
    Set the weights by hand, then press Play.`,
  predict: `Set <i>w</i><sub>2</sub> to 0 and <i>w</i><sub>1</sub> to a negative value: where will the line stand,
    and which side will say blue? Check: the line stands upright (only <i>x</i><sub>1</sub> counts) and blue is
    to its left; the count of right answers drops.`,
  mount(ctx) {
    ctx.box.insertAdjacentHTML('beforeend', `<div class="sliders">
      ${SLIDERS.map(([k, label, aria]) => `<label>${label} <input type="range" min="-5" max="5" step="0.05" data-param="${k}" aria-label="${aria}">
        <output data-param-out="${k}"></output></label>`).join('')}</div>`);
    for (const input of ctx.box.querySelectorAll('input[data-param]')) {
      input.addEventListener('input', () => {
        const value = Number(input.value);
        ctx.box.querySelector(`[data-param-out=${input.dataset.param}]`).textContent = value.toFixed(2);
        input.dataset.held = String(performance.now());  // frames leave it alone for a moment
        clearTimeout(input.timer);
        input.timer = setTimeout(() => {
          if (!ctx.live) return;
          const [, , , [kind, index]] = SLIDERS.find((s) => s[0] === input.dataset.param);
          ctx.page.command({ type: 'set_param', layer: 0, kind, index, value });
        }, 40);
      });
    }
  },
  frame(ctx, frame) {
    const p = frame.params[0];
    if (!p || p.W.length < 2) return;
    const values = { w1: p.W[0][0], w2: p.W[1][0], b: p.b[0] };
    for (const [k, v] of Object.entries(values)) {
      const input = ctx.box.querySelector(`input[data-param=${k}]`);
      if (!input || document.activeElement === input) continue;
      if (performance.now() - Number(input.dataset.held || 0) < 500) continue;
      input.value = String(v);
      ctx.box.querySelector(`[data-param-out=${k}]`).textContent = v.toFixed(2);
    }
    const side = sideOf(values.w1, values.w2);
    fill(ctx, { w: `(${fmt(values.w1, 2)}, ${fmt(values.w2, 2)})`, side, accuracy: `${fmt(100 * trainAccuracy(ctx, frame), 0)} %` });
    ctx.root.querySelector('[data-live=side]').dataset.side = side;
  },
};

const linear = {
  id: 'linear', title: 'One neuron is a linear classifier — and that is not enough',
  config: { ...ONE_NEURON, lr: 0.1 },
  text: `Whatever its weights, one neuron's boundary is a straight line. On Gauss the two clouds can be cut
    by a line, and training gets every point right. On XOR the blue points sit in opposite corners: no line
    puts both blue corners on one side and both orange corners on the other. The best line cuts off one corner
    and still misses about one point in four — and training does not even find that one: XOR is symmetric, so
    the loss is lowest with the weights near 0, where the neuron says about 50 % everywhere.
    Now: ${live('dataset')}, ${live('accuracy')} right after ${live('epoch')} epochs, outputs from
    ${live('pmin')} to ${live('pmax')}.`,
  predict: `Switch to XOR and press Play: how high will the accuracy climb? Check: it wanders around one half
    while every output stays near 50 %; on Gauss it reaches 100 %.`,
  mount(ctx) {
    ctx.box.insertAdjacentHTML('beforeend', `<div class="row">
      <button type="button" data-dataset="gauss">Gauss (separable)</button>
      <button type="button" data-dataset="xor">XOR</button></div>`);
    for (const b of ctx.box.querySelectorAll('button[data-dataset]')) {
      b.addEventListener('click', async () => {
        await ctx.page.command({ type: 'pause' });
        await ctx.page.configure({ dataset: b.dataset.dataset });
        await ctx.page.command({ type: 'reset' });  // start each data set from the same weights
        ctx.restartChart();
      });
    }
  },
  frame(ctx, frame) {
    const acc = trainAccuracy(ctx, frame);
    const { X } = split(ctx.page.points(), ctx.page.config().features);
    const { W, b } = frame.params[0];
    const ps = X.map((r) => sigmoid(r[0] * W[0][0] + r[1] * W[1][0] + b[0]));
    fill(ctx, { pmin: `${fmt(100 * Math.min(...ps), 0)} %`, pmax: `${fmt(100 * Math.max(...ps), 0)} %` });
    fill(ctx, { dataset: ctx.page.config().dataset === 'xor' ? 'XOR' : ctx.page.config().dataset, accuracy: `${fmt(100 * acc, 0)} %`, epoch: frame.epoch });
    ctx.root.querySelector('[data-live=accuracy]').dataset.value = String(acc);
  },
};

// The single weight matrix and bias that a stack of linear layers equals:
// x ↦ ((x W₁ + b₁) W₂ + b₂) … = x (W₁W₂…) + b.
export function equivalent(params, hidden) {
  const linearOnly = hidden.every((h) => h.activation === 'linear');
  let W = params[0].W.map((row) => row.slice());
  let b = params[0].b.slice();
  for (const p of params.slice(1)) {
    W = W.map((row) => p.W[0].map((_, j) => row.reduce((s, v, k) => s + v * p.W[k][j], 0)));
    b = p.b.map((bj, j) => bj + b.reduce((s, v, k) => s + v * p.W[k][j], 0));
  }
  return { W, b, linear: linearOnly };
}

const matrix = (M, caption) => `<table class="matrix"><caption>${caption}</caption>${M.map((row) => `<tr>${row.map((v) => `<td>${v.toFixed(3)}</td>`).join('')}</tr>`).join('')}</table>`;

const stacking = {
  id: 'stacking', title: 'Stacking linear layers gives nothing new',
  config: {
    dataset: 'circle', points: 500, noise: 0, features: ['x1', 'x2'], normalize: false, method: 'sgd',
    lr: 0.03, batch_size: 10, loss: 'cross_entropy', speed: 1, seed: 0,
    hidden: [{ units: 3, activation: 'linear' }, { units: 2, activation: 'linear' }],
  },
  text: `Both hidden layers here use the linear activation. Each layer multiplies by a matrix and adds a bias
    (the three matrices are below), and a product of matrices is again one matrix: the whole network equals a
    single neuron with the weights <i>W</i> = <i>W</i><sub>1</sub><i>W</i><sub>2</sub><i>W</i><sub>3</sub> and
    bias <i>b</i>, so its boundary is the straight line ${live('line')}. On the circle a line gets only
    ${live('accuracy')} right. Switch an activation to sigmoid or ReLU and the boundary bends.`,
  predict: `Press Play for a while: will the boundary ever curve around the circle? Check: the line turns and
    shifts, the product below changes with it, but it stays a line.`,
  mount(ctx) {
    ctx.box.insertAdjacentHTML('beforeend', '<div class="equivalent" aria-live="polite"></div>');
  },
  frame(ctx, frame) {
    const el = ctx.box.querySelector('.equivalent');
    const hidden = ctx.page.config().hidden;
    if (frame.params.length !== hidden.length + 1) return;  // a frame of the previous shape
    const { W, b, linear: lin } = equivalent(frame.params, hidden);
    if (!lin) {
      el.innerHTML = '<p class="muted">A hidden layer is not linear any more: no single matrix is equivalent, and the boundary can bend.</p>';
      el.dataset.W = '';
      fill(ctx, { line: '(none: a layer bends)', accuracy: '–' });
      return;
    }
    el.dataset.W = JSON.stringify(W);
    el.dataset.b = JSON.stringify(b);
    const layers = frame.params.map((p, i) => matrix(p.W, `W<sub>${i + 1}</sub>`)).join('<span class="times">×</span>');
    el.innerHTML = `<div class="matrices">${layers}<span class="times">=</span>${matrix(W, 'W')}${matrix([b], 'b')}</div>`;
    // The equivalent neuron on the raw inputs: w₁x₁ + w₂x₂ + b = 0.
    const [w1, w2] = [W[0][0], W[1] ? W[1][0] : 0];
    const line = Math.abs(w2) > 1e-9 ? `x₂ = ${fmt(-w1 / w2, 2)}·x₁ ${-b[0] / w2 >= 0 ? '+' : '−'} ${fmt(Math.abs(b[0] / w2), 2)}` : `x₁ = ${fmt(-b[0] / w1, 2)}`;
    const { X, y } = split(ctx.page.points(), ctx.page.config().features);
    const acc = neuronLosses([{ W, b }], X, y).accuracy;
    fill(ctx, { line, accuracy: `${fmt(100 * acc, 0)} %` });
  },
};

const activations = {
  id: 'activations', title: 'Sigmoid and ReLU',
  chart: true,
  config: {
    dataset: 'circle', points: 500, noise: 0, features: ['x1', 'x2'], normalize: false, method: 'sgd',
    lr: 0.03, batch_size: 10, loss: 'cross_entropy', speed: 1, seed: 0,
    hidden: [{ units: 4, activation: 'relu' }],
  },
  text: `The sigmoid squeezes any <i>z</i> into (0, 1). Near <i>z</i> = 0 it is almost a straight line
    (slope ¼); beyond |<i>z</i>| ≈ 4 it saturates and its slope (dashed) is nearly 0. Backpropagation
    multiplies by that slope once per layer, so through several sigmoids the gradient fades: move <i>z</i> below.
    ReLU, max(0, <i>z</i>), is the simplest bend there is: a line broken at 0, with slope 0 or 1, so it passes
    gradients on unchanged where it is active. A handful of such kinks is enough to carve a circle: press Play
    (now ${live('accuracy')} right after ${live('epoch')} epochs).`,
  predict: `At <i>z</i> = 3, what is left of a gradient after five sigmoid layers? Check with the slider:
    σ′(3)⁵ ≈ 0.0000002, while ReLU′(3)⁵ = 1.`,
  mount(ctx) {
    ctx.box.insertAdjacentHTML('beforeend', `<label class="row">z <input type="range" min="-6" max="6" step="0.5" value="0" data-z aria-label="z">
      <output data-z-out></output></label><p class="fade" aria-live="polite"></p>`);
    const input = ctx.box.querySelector('input[data-z]');
    const draw = () => {
      const z = Number(input.value);
      const s = sigmoid(z);
      const ds = s * (1 - s);
      const dr = z > 0 ? 1 : 0;
      ctx.box.querySelector('[data-z-out]').textContent = z.toFixed(1);
      const p = ctx.box.querySelector('.fade');
      p.innerHTML = `σ(${z}) = ${s.toFixed(4)}, σ′ = ${ds.toFixed(4)}; ReLU′ = ${dr}.
        Through 1, 2, 5 sigmoid layers a gradient is multiplied by ${[1, 2, 5].map((n) => (ds ** n).toPrecision(2)).join(', ')};
        through 5 ReLU layers by ${dr ** 5}.`;
      p.dataset.sigmoid5 = String(ds ** 5);
      const zs = range(-6, 6, 121);
      const sv = zs.map(sigmoid);
      plotInto(ctx.chart, [
        { x: zs, y: sv, name: 'sigmoid', line: { color: BLUE } },
        { x: zs, y: sv.map((v) => v * (1 - v)), name: 'sigmoid′', line: { color: BLUE, dash: 'dash' } },
        { x: zs, y: zs.map((v) => Math.max(0, v)), name: 'ReLU', line: { color: ORANGE } },
        { x: zs, y: zs.map((v) => (v > 0 ? 1 : 0)), name: 'ReLU′', line: { color: ORANGE, dash: 'dash' } },
        { x: [z, z], y: [-0.05, 1.05], name: 'z', mode: 'lines', line: { color: '#888', width: 1 }, showlegend: false },
      ], { xaxis: { title: { text: 'z' } }, yaxis: { range: [-0.05, 1.25] }, showlegend: true, legend: { x: 0, y: 1, font: { size: 9 } } });
    };
    input.addEventListener('input', draw);
    draw();
  },
  frame(ctx, frame) {
    const m = frame.metrics?.train;
    fill(ctx, { accuracy: m ? `${fmt(100 * m.accuracy, 0)} %` : '–', epoch: frame.epoch });
  },
};

export const BASICS = [neuron, linear, stacking, activations];
