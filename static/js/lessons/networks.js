// Lessons on networks: backpropagation along the diagram, hidden layers as feature spaces,
// one output per class, and data quantity against overfitting.

import { BLUE, ORANGE, backward, fill, fmt, forward, live, plotInto, split } from './base.js';

const num = (v) => (Math.abs(v) >= 1e-3 || v === 0 ? v.toFixed(3) : v.toExponential(1));

// Every parameter of the network with its gradient and the value a step gives it.
function paramRows(frame, lr) {
  const rows = [];
  frame.params.forEach((p, l) => {
    p.W.forEach((row, i) => row.forEach((w, j) => rows.push({ layer: l + 1, name: `w${l + 1} ${i + 1}→${j + 1}`, v: w, g: frame.gradients[l].W[i][j] })));
    p.b.forEach((b, j) => rows.push({ layer: l + 1, name: `b${l + 1} ${j + 1}`, v: b, g: frame.gradients[l].b[j] }));
  });
  return rows.map((r) => ({ ...r, next: r.v - lr * r.g }));
}

// A small drawing of the network whose nodes show their deltas, lit from the output back.
function deltaView(sizes, deltas, phase) {
  const W = 190, H = 110, pad = 12, right = 58;
  const cols = sizes.length;
  const pos = sizes.map((n, c) => Array.from({ length: n }, (_, r) => [pad + (c * (W - pad - right)) / (cols - 1), pad + ((r + 0.5) * (H - 2 * pad)) / n]));
  const litLayer = (c) => phase >= 0 && c >= cols - 1 - phase;  // the output first, then back
  let s = `<svg class="deltas" viewBox="0 0 ${W} ${H}" role="img" aria-label="Backward pass">`;
  for (let c = 0; c + 1 < cols; c++) {
    for (const a of pos[c]) for (const b of pos[c + 1]) {
      s += `<line x1="${a[0]}" y1="${a[1]}" x2="${b[0]}" y2="${b[1]}" stroke="${litLayer(c + 1) && phase > cols - 2 - c ? ORANGE : '#ccc'}" stroke-width="1"/>`;
    }
  }
  pos.forEach((layer, c) => layer.forEach(([x, y], r) => {
    const d = c > 0 ? deltas[c - 1] : null;
    const lit = c > 0 && litLayer(c);
    s += `<circle cx="${x}" cy="${y}" r="9" fill="${lit ? '#fde2c0' : '#fff'}" stroke="${lit ? ORANGE : '#999'}"/>`;
    if (d && lit) s += `<text x="${x + 11}" y="${y + 3}" font-size="9" data-delta="${c}-${r}">δ ${num(d.mean[r])}</text>`;
  }));
  return `${s}</svg>`;
}

const backprop = {
  id: 'backprop', title: 'Backpropagation',
  config: {
    dataset: 'xor', points: 200, noise: 0, features: ['x1', 'x2'], normalize: false, method: 'sgd',
    lr: 0.1, batch_size: 2000, loss: 'cross_entropy', speed: 1, seed: 2,
    hidden: [{ units: 3, activation: 'tanh' }],
  },
  view: { gradients: true },
  side: true,
  text: `Backpropagation gives every parameter its gradient ∂<i>L</i>/∂θ, passed back layer by layer with the
    chain rule. For each point, the output's delta is δ = <i>p</i> − <i>y</i> (sigmoid with cross-entropy); a hidden
    neuron's delta is the weighted sum of the deltas after it, times its activation's slope (1 − <i>h</i>² for
    tanh). A weight's gradient is the mean of (its input × the delta it feeds), a bias's the mean delta: here the
    output bias's gradient is ${live('gb')} and the output's mean delta ${live('dout')}. The links show −gradient.
    Press Step: every one of the ${live('count')} parameters moves by −α · ∂<i>L</i>/∂θ (α = ${live('lr')}),
    computed on the whole training set.`,
  predict: `Before you press Step, read the last column: which parameter will move most? Check: after the step
    the last column has become the value column.`,
  mount(ctx) {
    ctx.side.insertAdjacentHTML('beforeend', `<div class="bp-grid"><div><div class="deltas-box"></div>
      <button type="button" data-animate>Show the backward pass</button><div class="backprop" data-layers="rest"></div></div>
      <div class="backprop" data-layers="first"></div></div>
      <p class="muted" data-bp-note></p>`);
    ctx.phase = 99;
    ctx.side.querySelector('[data-animate]').addEventListener('click', () => {
      ctx.phase = -1;
      const tick = () => {
        ctx.phase++;
        this.draw(ctx);
        if (ctx.phase < ctx.page.config().hidden.length + 1) ctx.later(tick, 700);
      };
      tick();
    });
  },
  frame(ctx) { this.draw(ctx); },
  draw(ctx) {
    const frame = ctx.frame;
    const cfg = ctx.page.config();
    if (!frame?.gradients || frame.params.length !== cfg.hidden.length + 1) return;
    const { X, y } = split(ctx.page.points(), cfg.features);
    if (!X.length || X[0].length !== frame.params[0].W.length) return;
    const deltas = backward(frame.params, cfg.hidden, X, y);
    ctx.deltas = deltas;
    const sizes = [frame.params[0].W.length, ...frame.params.map((p) => p.b.length)];
    ctx.side.querySelector('.deltas-box').innerHTML = deltaView(sizes, deltas, ctx.phase);
    ctx.side.querySelector('.deltas-box').dataset.deltas = JSON.stringify(deltas.map((d) => d.mean));
    const rows = paramRows(frame, cfg.lr);
    const table = (layer) => `<table aria-label="Gradients of layer ${layer}"><tr><th>θ</th><th>value</th><th>∂L/∂θ</th><th>after step</th></tr>
      ${rows.filter((r) => r.layer === layer).map((r) => `<tr data-param="${r.name}"><td>${r.name}</td><td>${num(r.v)}</td><td>${num(r.g)}</td><td>${num(r.next)}</td></tr>`).join('')}</table>`;
    ctx.side.querySelector('[data-layers=first]').innerHTML = table(1);
    ctx.side.querySelector('[data-layers=rest]').innerHTML = frame.params.slice(1).map((_, l) => table(l + 2)).join('');
    ctx.side.querySelector('[data-bp-note]').textContent = `epoch ${frame.epoch}: press Step and “after step” becomes “value” (θ − α·∂L/∂θ, α = ${cfg.lr}).`;
    const last = frame.gradients[frame.gradients.length - 1].b[0];
    fill(ctx, { gb: num(last), dout: num(deltas[deltas.length - 1].mean[0]), count: rows.length, lr: cfg.lr });
  },
};

const spaces = {
  id: 'spaces', title: 'Hidden layers make new features',
  chart: true,
  config: {
    dataset: 'xor', points: 200, noise: 0, features: ['x1', 'x2'], normalize: false, method: 'sgd',
    lr: 0.1, batch_size: 10, loss: 'cross_entropy', speed: 1, seed: 1,
    hidden: [{ units: 2, activation: 'tanh' }],
  },
  text: `A layer is a set of neurons working on the same inputs; its outputs are a new set of features. The
    network is a composition: the hidden layer maps each point (<i>x</i><sub>1</sub>, <i>x</i><sub>2</sub>) to
    (<i>h</i><sub>1</sub>, <i>h</i><sub>2</sub>), and the output neuron is again one straight line, drawn in
    that new space (right). XOR cannot be cut by a line in the input space, but training bends the hidden space
    until it can: after ${live('epoch')} epochs the output's line gets ${live('accuracy')} of the training points right.`,
  predict: `Press Play: will the blue and orange points in the hidden space come apart? Check: they move to
    opposite sides of the line (the right panel), while the input space stays XOR.`,
  frame(ctx, frame) {
    const cfg = ctx.page.config();
    if (frame.params.length !== 2 || frame.params[0].b.length !== 2) return;
    const { X, y } = split(ctx.page.points(), cfg.features);
    const layers = forward(frame.params, cfg.hidden, X);
    const H = layers[0].a;
    const p = layers[1].a;
    const right = p.filter((row, i) => (row[0] >= 0.5 ? 1 : 0) === y[i]).length;
    const acc = right / Math.max(1, y.length);
    fill(ctx, { epoch: frame.epoch, accuracy: `${fmt(100 * acc, 0)} %` });
    ctx.root.querySelector('[data-live=accuracy]').dataset.value = String(acc);
    const { W, b } = frame.params[1];
    const line = Math.abs(W[1][0]) > 1e-9
      ? { x: [-1.1, 1.1], y: [-1.1, 1.1].map((h1) => -(W[0][0] * h1 + b[0]) / W[1][0]) }
      : { x: [-b[0] / W[0][0], -b[0] / W[0][0]], y: [-1.1, 1.1] };
    const cls = (k) => ({ x: H.filter((_, i) => y[i] === k).map((h) => h[0]), y: H.filter((_, i) => y[i] === k).map((h) => h[1]) });
    if (ctx.drawn && performance.now() - ctx.drawn < 250) return;
    ctx.drawn = performance.now();
    plotInto(ctx.chart, [
      { ...cls(1), mode: 'markers', name: 'class 1', marker: { color: BLUE, size: 4 } },
      { ...cls(0), mode: 'markers', name: 'class 0', marker: { color: ORANGE, size: 4 } },
      { ...line, mode: 'lines', name: 'output line', line: { color: '#000' } },
    ], { xaxis: { title: { text: 'h₁' }, range: [-1.1, 1.1] }, yaxis: { title: { text: 'h₂' }, range: [-1.1, 1.1], scaleanchor: 'x' }, showlegend: false });
  },
};

const softmax = (z) => { const m = Math.max(...z); const e = z.map((v) => Math.exp(v - m)); const s = e.reduce((a, v) => a + v, 0); return e.map((v) => v / s); };

const classes = {
  id: 'classes', title: 'One output per class',
  config: {
    dataset: 'blobs', classes: 3, points: 300, noise: 0.1, features: ['x1', 'x2'], normalize: false,
    method: 'sgd', lr: 0.03, batch_size: 10, loss: 'cross_entropy', speed: 1, seed: 0, hidden: [],
  },
  text: `With more than two classes, each output neuron is responsible for one class: it should say 1 for its
    own class and 0 for the others. Softmax turns the outputs' sums <i>z</i><sub>k</sub> into probabilities,
    e<sup><i>z</i><sub>k</sub></sup> / Σ e<sup><i>z</i><sub>j</sub></sup>, that add up to 1, and the answer is the
    largest. Here ${live('outputs')} output neurons read the same two inputs; after ${live('epoch')} epochs
    they get ${live('accuracy')} of the training points right. Below, one point of each class.`,
  predict: `Press Play: which output will win for each point below? Check: the one of the point's own class,
    with most of the probability.`,
  side: true,
  mount(ctx) { ctx.side.insertAdjacentHTML('beforeend', '<div class="softmax" aria-live="polite"></div>'); },
  frame(ctx, frame) {
    const cfg = ctx.page.config();
    const p = frame.params[frame.params.length - 1];
    if (!p || p.b.length < 3 || frame.params.length !== 1) return;
    const { X, y } = split(ctx.page.points(), cfg.features);
    const picks = [...new Set(y)].sort().map((k) => y.indexOf(k));
    const rows = picks.map((i) => {
      const z = p.b.map((bk, k) => X[i].reduce((s, v, j) => s + v * p.W[j][k], bk));
      const q = softmax(z);
      return { i, label: y[i], z, q, pick: q.indexOf(Math.max(...q)) };
    });
    const el = ctx.side.querySelector('.softmax');
    el.innerHTML = `<table aria-label="Softmax"><tr><th>point</th><th>class</th>${p.b.map((_, k) => `<th>z${k + 1}</th>`).join('')}${p.b.map((_, k) => `<th>P(${k + 1})</th>`).join('')}<th>Σ P</th><th>answer</th></tr>
      ${rows.map((r) => `<tr data-sum="${r.q.reduce((a, v) => a + v, 0)}"><td>(${fmt(X[r.i][0], 1)}, ${fmt(X[r.i][1], 1)})</td><td>${r.label + 1}</td>${r.z.map((v) => `<td>${fmt(v, 2)}</td>`).join('')}${r.q.map((v) => `<td>${fmt(v, 3)}</td>`).join('')}<td>${fmt(r.q.reduce((a, v) => a + v, 0), 3)}</td><td>${r.pick + 1}</td></tr>`).join('')}</table>`;
    const m = frame.metrics?.train;
    fill(ctx, { outputs: p.b.length, epoch: frame.epoch, accuracy: m ? `${fmt(100 * m.accuracy, 0)} %` : '–' });
  },
};

const SIZES = { small: [{ units: 2, activation: 'relu' }], big: [{ units: 8, activation: 'relu' }, { units: 8, activation: 'relu' }, { units: 8, activation: 'relu' }] };

const overfitting = {
  id: 'overfitting', title: 'Data quantity and overfitting',
  config: {
    dataset: 'circle', points: 40, noise: 0.5, features: ['x1', 'x2'], normalize: false, method: 'adam',
    lr: 0.01, batch_size: 10, loss: 'cross_entropy', speed: 3, seed: 1, train_ratio: 0.5, hidden: SIZES.big,
  },
  view: { showTest: true },
  text: `A network is judged on points it never saw (the test points, outlined). With few points and many
    weights, it can learn the training points by heart, noise included: the training loss keeps falling while
    the test loss rises. More data, or a smaller network, closes the gap. Now: ${live('points')} points,
    ${live('weights')} parameters; after ${live('epoch')} epochs the training loss is ${live('train')} and the test
    loss ${live('test')}${live('verdict')}.`,
  predict: `With 40 points and the big network, press Play for a few hundred epochs: will the test loss follow the
    training loss down? Check: it turns up and ends far above. Then try 400 points.`,
  mount(ctx) {
    ctx.box.insertAdjacentHTML('beforeend', `<div class="row">
      <button type="button" data-points="40">40 points</button><button type="button" data-points="400">400 points</button>
      <button type="button" data-size="small">2 neurons</button><button type="button" data-size="big">3 × 8 neurons</button></div>`);
    const change = async (changes) => {
      await ctx.page.command({ type: 'pause' });
      await ctx.page.configure(changes);
      await ctx.page.command({ type: 'reset' });
      ctx.restartChart();
    };
    for (const b of ctx.box.querySelectorAll('button[data-points]')) b.addEventListener('click', () => change({ points: Number(b.dataset.points) }));
    for (const b of ctx.box.querySelectorAll('button[data-size]')) b.addEventListener('click', () => change({ hidden: SIZES[b.dataset.size] }));
  },
  frame(ctx, frame) {
    const cfg = ctx.page.config();
    const weights = frame.params.reduce((n, p) => n + p.W.length * p.b.length + p.b.length, 0);
    const { train, test } = frame.loss;
    const gap = train !== null && test !== null ? test - train : null;
    fill(ctx, {
      points: cfg.points, weights, epoch: frame.epoch, train: fmt(train, 3), test: fmt(test, 3),
      verdict: gap === null ? '' : gap > 0.3 ? ` — a gap of ${fmt(gap, 2)}: overfitting` : ` — a gap of ${fmt(gap, 2)}`,
    });
  },
};

export const NETWORKS = [backprop, spaces, classes, overfitting];
