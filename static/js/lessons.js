// Lessons: from one neuron to a trained network, and how to judge it. Each lesson is a
// prepared state (the same config the URL carries), two or three sentences, and a few live
// widgets; every other control stays live. Widgets take plain data from frames and replies.

import { Socket } from './socket.js';

const AGE = {
  dataset: 'age', points: 300, hidden: [], features: ['x1'], normalize: true, method: 'sgd',
  lr: 0.3, batch_size: 2000, loss: 'cross_entropy', regularization: 'none', speed: 1, seed: 3,
  train_ratio: 0.7, threshold: 0.5,
};
const ONE_NEURON = {
  dataset: 'gauss', points: 200, noise: 0, hidden: [], features: ['x1', 'x2'], normalize: false,
  method: 'sgd', lr: 0.03, batch_size: 10, loss: 'cross_entropy', regularization: 'none',
  speed: 1, seed: 1, train_ratio: 0.5, threshold: 0.5,
};

export const LESSONS = [
  {
    id: 'neuron', title: '1. A neuron is a weighted sum and a non-linearity',
    config: ONE_NEURON,
    text: `One neuron adds up its inputs, each times a weight, plus a bias:
      <i>z</i> = <i>w</i><sub>1</sub><i>x</i><sub>1</sub> + <i>w</i><sub>2</sub><i>x</i><sub>2</sub> + <i>b</i>,
      then squashes <i>z</i> with an activation, here the sigmoid σ(<i>z</i>) = 1 / (1 + e<sup>−<i>z</i></sup>).
      The black line is where <i>z</i> = 0: above the line (on the side the weights point to) σ &gt; 0.5 and the
      neuron says class 1 (blue), below it class 0. Set the weights by hand, then press Play.`,
    widgets: ['neuronSliders'],
  },
  {
    id: 'linear', title: '2. One neuron is a linear classifier — and that is not enough',
    config: { ...ONE_NEURON, lr: 0.1 },
    text: `Whatever its weights, one neuron's boundary is a straight line. On Gauss the two clouds can be cut
      by a line, and training gets every point right. Switch to XOR: the blue points sit in opposite
      corners, no line puts both corners on one side, and training stalls near 50 % whatever you do.`,
    widgets: ['datasetButtons'],
  },
  {
    id: 'stacking', title: '3. Stacking linear layers gives nothing new',
    config: {
      dataset: 'circle', points: 500, noise: 0, features: ['x1', 'x2'], normalize: false, method: 'sgd',
      lr: 0.03, batch_size: 10, loss: 'cross_entropy', speed: 1, seed: 0,
      hidden: [{ units: 3, activation: 'linear' }, { units: 2, activation: 'linear' }],
    },
    text: `Both hidden layers here use the linear activation. Each layer multiplies by a matrix and adds a bias,
      and a product of matrices is again one matrix: the whole network equals a single neuron with the
      weights <i>W</i> and bias <i>b</i> below, so its boundary is still a straight line. Switch an activation to
      sigmoid or ReLU and the boundary bends.`,
    widgets: ['equivalent'],
  },
  {
    id: 'activations', title: '4. Sigmoid and ReLU',
    config: {
      dataset: 'circle', points: 500, noise: 0, features: ['x1', 'x2'], normalize: false, method: 'sgd',
      lr: 0.03, batch_size: 10, loss: 'cross_entropy', speed: 1, seed: 0,
      hidden: [{ units: 4, activation: 'relu' }],
    },
    text: `The sigmoid squeezes any <i>z</i> into (0, 1). Near <i>z</i> = 0 it is almost a straight line
      (slope ¼); beyond |<i>z</i>| ≈ 4 it saturates and its slope (dashed) is nearly 0, so gradients through
      it fade. ReLU, max(0, <i>z</i>), is the simplest bend there is: a line broken at 0, with slope 0 or 1.
      A handful of such kinks is enough to carve a circle: press Play.`,
    widgets: ['activationPlot'],
  },
  {
    id: 'loss', title: '5. The loss: cross-entropy',
    config: { ...ONE_NEURON, dataset: 'gauss', noise: 0.3, lr: 0.3 },
    text: `The loss says how wrong the output <i>p</i> is. For a point of class 1 cross-entropy charges
      −log <i>p</i>, for class 0 −log(1 − <i>p</i>): nothing for a confident right answer, without limit for a
      confident wrong one. Squared error, (<i>p</i> − <i>y</i>)², never charges more than 1, and through the
      sigmoid its gradient fades when the neuron is confidently wrong. Below, the same neuron learns the same
      data with each loss.`,
    widgets: ['penaltyPlot', 'race'],
    race: { loss: 'mse' }, raceLabels: ['cross-entropy', 'squared error'],
  },
  {
    id: 'descent', title: '6. Gradient descent',
    config: AGE,
    text: `One neuron guesses whether a customer buys from their age: P(buy) = σ(<i>w</i> · age + <i>b</i>).
      The contours are the loss for every pair (<i>w</i>, <i>b</i>); each step moves downhill by
      −α · gradient, and the path shows every step. Try the learning rate α: too small crawls, too large
      zig-zags or diverges. Turn normalization off and the valley turns long and thin: the same α needs far
      more steps.`,
    widgets: ['surface', 'lrSlider', 'normalizeToggle'],
  },
  {
    id: 'evolution', title: '7. Evolution versus gradient descent',
    config: { ...AGE, lr: 0.3 },
    text: `Evolution needs no gradient: it keeps a population of (<i>w</i>, <i>b</i>) pairs (the dots), keeps
      the best, and fills the rest with mutated copies of good ones. Both start from the same weights.
      Compare how fast each loss falls and how many loss evaluations each spends: gradient descent one per
      step, evolution one per member per generation.`,
    widgets: ['surface', 'race'],
    race: { method: 'evolution', population: 30, sigma: 0.3, elite: 2 }, raceLabels: ['gradient descent', 'evolution'],
  },
  {
    id: 'backprop', title: '8. Backpropagation',
    config: {
      dataset: 'xor', points: 200, noise: 0, features: ['x1', 'x2'], normalize: false, method: 'sgd',
      lr: 0.1, batch_size: 2000, loss: 'cross_entropy', speed: 1, seed: 2,
      hidden: [{ units: 3, activation: 'tanh' }],
    },
    view: { gradients: true },
    text: `Backpropagation gives every weight its gradient ∂<i>L</i>/∂<i>w</i>: how fast the loss grows as that
      weight grows, passed back layer by layer with the chain rule. The links now show −gradient, the way each
      weight will move (hover a link or a bias for its numbers). Press Step: every weight moves by
      −α · ∂<i>L</i>/∂<i>w</i>, computed here on the whole training set.`,
    widgets: ['backpropTable'],
  },
  {
    id: 'judging', title: '9. Judging a model',
    config: { ...AGE, method: 'adam', lr: 0.1, batch_size: 10 },
    text: `The neuron outputs P(buy); a threshold turns it into a decision. Lower it and you catch more buyers
      (recall rises) but call more non-buyers too: false positives, errors of the first kind. Raise it and you
      trade those for missed buyers: false negatives, errors of the second kind. The ROC curve shows every
      trade-off at once; its area (AUC) is the chance that a buyer scores above a non-buyer.`,
    widgets: ['threshold'],
  },
];

const LR_STEPS = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
const PLOT_CONFIG = { displayModeBar: false, responsive: true };
const SMALL = { margin: { l: 34, r: 6, t: 6, b: 26 }, font: { size: 10 }, paper_bgcolor: 'rgba(0,0,0,0)', plot_bgcolor: '#fff' };
const range = (a, b, n) => Array.from({ length: n }, (_, i) => a + ((b - a) * i) / (n - 1));
const sigmoid = (z) => 1 / (1 + Math.exp(-z));

export class Lessons {
  // page: {configure(changes), command(cmd), setView(view), state(), config(), root, chart}
  constructor(page) {
    this.page = page;
    this.current = null;
    this.race = null;
    this.raceFrames = [];
    this.mainFrames = [];
    this.surfaceAt = 0;
    this.surface = null;
    this.lastFrame = null;
  }

  index() { return LESSONS.findIndex((l) => l.id === this.current?.id); }

  async open(id, { apply = true } = {}) {
    this.close();
    const lesson = LESSONS.find((l) => l.id === id);
    if (!lesson) return;
    this.current = lesson;
    if (apply) {
      this.page.setView({ gradients: false, showTest: false, discretize: false, ...(lesson.view || {}) });
      await this.page.command({ type: 'pause' });
      await this.page.configure(lesson.config);
      await this.page.command({ type: 'reset' });  // fresh weights from the lesson's seed
    }
    this.render();
    if (lesson.widgets.includes('race')) this.startRace();
  }

  close() {
    if (this.race) { this.race.close(); this.race = null; }
    this.current = null;
    this.raceFrames = [];
    this.mainFrames = [];
    this.surface = null;
    this.page.root.classList.add('hidden');
    this.page.root.replaceChildren();
    this.page.chart.classList.add('hidden');
    document.body.classList.remove('lesson-chart-on');
    if (window.Plotly) window.Plotly.purge(this.page.chart);
  }

  render() {
    const l = this.current;
    const root = this.page.root;
    root.classList.remove('hidden');
    root.innerHTML = `<h3>${l.title}</h3><p class="lesson-text">${l.text.replace(/\s+/g, ' ')}</p><div class="widgets"></div>`;
    const box = root.querySelector('.widgets');
    const usesChart = l.widgets.some((w) => ['activationPlot', 'penaltyPlot', 'surface'].includes(w));
    this.page.chart.classList.toggle('hidden', !usesChart);
    document.body.classList.toggle('lesson-chart-on', usesChart);
    for (const w of l.widgets) this[`widget_${w}`]?.(box);
  }

  // --- widgets ------------------------------------------------------------------------

  widget_neuronSliders(box) {
    box.insertAdjacentHTML('beforeend', `<div class="sliders">
      ${[['w1', 'w₁'], ['w2', 'w₂'], ['b', 'b']].map(([k, label]) => `
        <label>${label} <input type="range" min="-5" max="5" step="0.05" data-param="${k}" aria-label="${k === 'b' ? 'Bias b' : `Weight ${k}`}">
        <output data-param-out="${k}"></output></label>`).join('')}
      <p class="muted">class 1 where w₁x₁ + w₂x₂ + b &gt; 0 (above the line)</p></div>`);
    const where = { w1: ['weight', [0, 0]], w2: ['weight', [1, 0]], b: ['bias', [0]] };
    for (const input of box.querySelectorAll('input[data-param]')) {
      let timer = null;
      input.addEventListener('input', () => {
        const value = Number(input.value);
        box.querySelector(`[data-param-out=${input.dataset.param}]`).textContent = value.toFixed(2);
        input.dataset.held = String(performance.now());  // frames leave it alone for a moment
        clearTimeout(timer);
        timer = setTimeout(() => {
          const [kind, index] = where[input.dataset.param];
          this.page.command({ type: 'set_param', layer: 0, kind, index, value });
        }, 40);
      });
    }
  }

  widget_datasetButtons(box) {
    box.insertAdjacentHTML('beforeend', `<div class="row">
      <button type="button" data-dataset="gauss">Gauss (separable)</button>
      <button type="button" data-dataset="xor">XOR</button></div>`);
    for (const b of box.querySelectorAll('button[data-dataset]')) {
      b.addEventListener('click', () => this.page.configure({ dataset: b.dataset.dataset }));
    }
  }

  widget_equivalent(box) {
    box.insertAdjacentHTML('beforeend', '<div class="equivalent" aria-live="polite"></div>');
  }

  widget_activationPlot() {
    const z = range(-6, 6, 121);
    const s = z.map(sigmoid);
    const traces = [
      { x: z, y: s, name: 'sigmoid', line: { color: '#0877bd' } },
      { x: z, y: s.map((v) => v * (1 - v)), name: 'sigmoid′', line: { color: '#0877bd', dash: 'dash' } },
      { x: z, y: z.map((v) => Math.max(0, v) / 6), name: 'ReLU / 6', line: { color: '#f59322' } },
      { x: z, y: z.map((v) => (v > 0 ? 1 : 0)), name: 'ReLU′', line: { color: '#f59322', dash: 'dash' } },
    ];
    this.plot(traces, { xaxis: { title: { text: 'z' } }, yaxis: { range: [-0.05, 1.05] }, showlegend: true, legend: { x: 0, y: 1, font: { size: 9 } } });
  }

  widget_penaltyPlot() {
    const p = range(0.005, 0.995, 100);
    const traces = [
      { x: p, y: p.map((v) => -Math.log(v)), name: 'class 1: −log p', line: { color: '#0877bd' } },
      { x: p, y: p.map((v) => -Math.log(1 - v)), name: 'class 0: −log(1−p)', line: { color: '#f59322' } },
      { x: p, y: p.map((v) => (1 - v) ** 2), name: 'class 1: (1−p)²', line: { color: '#0877bd', dash: 'dot' } },
      { x: p, y: p.map((v) => v ** 2), name: 'class 0: p²', line: { color: '#f59322', dash: 'dot' } },
    ];
    this.plot(traces, { xaxis: { title: { text: 'output p' } }, yaxis: { range: [0, 5] }, showlegend: true, legend: { x: 0.3, y: 1, font: { size: 9 } } });
  }

  widget_surface() {
    this.surface = { pending: false };
    this.requestSurface();
  }

  widget_lrSlider(box) {
    const cfg = this.page.config();
    const i = Math.max(0, LR_STEPS.findIndex((v) => v >= cfg.lr));
    box.insertAdjacentHTML('beforeend', `<label class="lr">α <input type="range" min="0" max="${LR_STEPS.length - 1}" step="1" value="${i}" aria-label="Learning rate α">
      <output>${LR_STEPS[i]}</output></label>`);
    const input = box.querySelector('label.lr input');
    input.addEventListener('input', () => { input.nextElementSibling.textContent = String(LR_STEPS[input.value]); });
    input.addEventListener('change', async () => {
      await this.page.configure({ lr: LR_STEPS[input.value] });
      await this.page.command({ type: 'reset' });
    });
  }

  widget_normalizeToggle(box) {
    box.insertAdjacentHTML('beforeend', `<label class="check"><input type="checkbox" data-normalize aria-label="Normalize ages"> normalize the ages</label>
      <p class="muted" data-steps></p>`);
    const input = box.querySelector('input[data-normalize]');
    input.checked = !!this.page.config().normalize;
    input.addEventListener('change', () => this.page.configure({ normalize: input.checked }));
  }

  widget_race(box) {
    const [a, b] = this.current.raceLabels;
    box.insertAdjacentHTML('beforeend', `<div class="race-chart" aria-label="Loss of both trainings"></div>
      <p class="race-counts muted" aria-live="polite">${a}: – · ${b}: –</p>`);
  }

  widget_backpropTable(box) {
    box.insertAdjacentHTML('beforeend', '<div class="backprop" aria-live="polite"></div>');
  }

  widget_threshold(box) {
    box.insertAdjacentHTML('beforeend', '<p class="muted">Move the Threshold slider under the plot and watch TP, FP, FN and TN, precision and recall, and the point on the ROC curve.</p>');
  }

  // --- live updates ---------------------------------------------------------------------

  onFrame(frame) {
    if (!this.current) return;
    this.lastFrame = frame;
    const box = this.page.root;
    const ws = this.current.widgets;
    if (ws.includes('neuronSliders')) this.updateSliders(box, frame);
    if (ws.includes('equivalent')) this.updateEquivalent(box, frame);
    if (ws.includes('backpropTable')) this.updateBackprop(box, frame);
    if (ws.includes('race')) { this.pushFrame(this.mainFrames, frame); this.drawRace(); }
    if (ws.includes('surface')) this.requestSurface();
  }

  updateSliders(box, frame) {
    const p = frame.params[0];
    if (!p || p.W.length < 2) return;
    const values = { w1: p.W[0][0], w2: p.W[1][0], b: p.b[0] };
    for (const [k, v] of Object.entries(values)) {
      const input = box.querySelector(`input[data-param=${k}]`);
      if (!input || document.activeElement === input) continue;
      if (performance.now() - Number(input.dataset.held || 0) < 500) continue;
      input.value = String(v);
      box.querySelector(`[data-param-out=${k}]`).textContent = v.toFixed(2);
    }
  }

  updateEquivalent(box, frame) {
    const el = box.querySelector('.equivalent');
    if (!el) return;
    const { W, b, linear } = equivalent(frame.params, this.page.config().hidden);
    if (!linear) {
      el.innerHTML = '<p class="muted">A hidden layer is not linear any more: no single matrix is equivalent.</p>';
      el.dataset.W = '';
      return;
    }
    el.dataset.W = JSON.stringify(W);
    el.dataset.b = JSON.stringify(b);
    const rows = W.map((row, i) => `<tr><th>x${i + 1}</th>${row.map((v) => `<td>${v.toFixed(3)}</td>`).join('')}</tr>`).join('');
    el.innerHTML = `<table aria-label="Equivalent weights"><caption>W = W₁W₂W₃, b = (b₁W₂ + b₂)W₃ + b₃</caption>${rows}
      <tr><th>b</th>${b.map((v) => `<td>${v.toFixed(3)}</td>`).join('')}</tr></table>`;
  }

  updateBackprop(box, frame) {
    const el = box.querySelector('.backprop');
    if (!el || !frame.gradients) return;
    const lr = this.page.config().lr;
    const rows = [];
    frame.params.forEach((p, layer) => {
      p.W.forEach((row, i) => row.forEach((w, j) => {
        if (rows.length < 8) rows.push({ name: `w${layer + 1}: ${i + 1}→${j + 1}`, w, g: frame.gradients[layer].W[i][j] });
      }));
    });
    el.innerHTML = `<table aria-label="Gradients"><tr><th>weight</th><th>w</th><th>∂L/∂w</th><th>w − α∂L/∂w</th></tr>
      ${rows.map((r) => `<tr><td>${r.name}</td><td>${r.w.toFixed(4)}</td><td>${r.g.toExponential(2)}</td><td>${(r.w - lr * r.g).toFixed(4)}</td></tr>`).join('')}</table>
      <p class="muted">epoch ${frame.epoch}: press Step and the third column becomes the second.</p>`;
  }

  async requestSurface() {
    if (!this.surface || this.surface.pending) return;
    const now = performance.now();
    if (now - this.surfaceAt < 400) {
      if (!this.surface.timer) {
        this.surface.timer = setTimeout(() => { this.surface.timer = null; this.requestSurface(); }, 420);
      }
      return;
    }
    this.surfaceAt = now;
    this.surface.pending = true;
    try {
      const pop = this.race && this.raceFrames.length ? this.raceFrames[this.raceFrames.length - 1].population : null;
      const cmd = { type: 'get_surface', resolution: 41 };
      if (pop) cmd.include = pop.slice(0, 256);
      const reply = await this.page.command(cmd);
      if (reply && this.surface) this.drawSurface(reply);
    } finally {
      if (this.surface) this.surface.pending = false;
    }
  }

  drawSurface(s) {
    const path = s.path;
    const traces = [
      { type: 'contour', x: s.w, y: s.b, z: s.loss, colorscale: 'Greys', reversescale: true, ncontours: 24,
        contours: { coloring: 'heatmap' }, showscale: false, hovertemplate: 'w %{x:.3f}<br>b %{y:.3f}<br>loss %{z:.4f}<extra></extra>' },
      { x: path.map((p) => p[0]), y: path.map((p) => p[1]), mode: 'lines+markers', name: 'descent path',
        line: { color: '#0877bd', width: 2 }, marker: { size: 3 } },
    ];
    const pop = this.race && this.raceFrames.length ? this.raceFrames[this.raceFrames.length - 1].population : null;
    if (pop) {
      traces.push({ x: pop.map((p) => p[0]), y: pop.map((p) => p[1]), mode: 'markers', name: 'population',
        marker: { color: '#f59322', size: 5, line: { color: '#000', width: 0.5 } } });
    }
    this.plot(traces, {
      xaxis: { title: { text: 'w' }, range: [s.w[0], s.w[s.w.length - 1]] },
      yaxis: { title: { text: 'b' }, range: [s.b[0], s.b[s.b.length - 1]] },
      showlegend: false,
    });
    this.page.chart.dataset.path = JSON.stringify(path);
    const steps = this.page.root.querySelector('[data-steps]');
    if (steps && this.lastFrame) {
      const losses = this.lastFrame.loss.train;
      steps.textContent = `${this.lastFrame.step} steps, training loss ${losses === null ? '–' : losses.toFixed(4)}`;
    }
  }

  plot(traces, layout) {
    if (!window.Plotly) return;
    window.Plotly.react(this.page.chart, traces, { ...SMALL, ...layout, datarevision: Date.now() }, PLOT_CONFIG);
  }

  // --- a second training, side by side -----------------------------------------------------

  startRace() {
    const lesson = this.current;
    const race = new Socket({
      onStatus: () => {},
      onMessage: async (msg) => {
        if (msg.type === 'hello' && !race.configured) {
          race.configured = true;
          const changes = { ...this.page.config(), ...lesson.race };
          delete changes.fps;
          try { await race.send({ type: 'config', changes }); } catch { /* shown by the main page */ }
        } else if (msg.type === 'frame') {
          this.pushFrame(this.raceFrames, msg);
          this.drawRace();
        }
      },
    });
    race.connect();
    this.race = race;
  }

  // Mirror play / pause / step / reset to the second training.
  mirror(type) {
    if (!this.race) return;
    const cmd = type === 'step' ? { type, epochs: 1 } : { type };
    this.race.send(cmd).catch(() => {});
    if (type === 'reset') { this.raceFrames = []; this.mainFrames = []; }
  }

  pushFrame(list, frame) {
    const last = list[list.length - 1];
    if (last && last.epoch === frame.epoch) list[list.length - 1] = frame; else list.push(frame);
    if (list.length > 400) list.splice(0, list.length - 400);
  }

  // Redrawn at most four times a second, so frames are never held up by the chart.
  drawRace() {
    if (this.raceTimer) return;
    this.raceTimer = setTimeout(() => { this.raceTimer = null; this.drawRaceNow(); }, 250);
  }

  drawRaceNow() {
    if (!this.current) return;
    const box = this.page.root.querySelector('.race-chart');
    if (!box || !window.Plotly) return;
    const [a, b] = this.current.raceLabels;
    const series = (frames) => ({ x: frames.map((f) => f.epoch), y: frames.map((f) => f.loss.train) });
    window.Plotly.react(box, [
      { ...series(this.mainFrames), name: a, line: { color: '#0877bd' } },
      { ...series(this.raceFrames), name: b, line: { color: '#f59322' } },
    ], { ...SMALL, height: 150, showlegend: true, legend: { x: 0.35, y: 1, font: { size: 9 } }, xaxis: { title: { text: 'epoch / generation' } }, yaxis: { title: { text: 'loss' } }, datarevision: Date.now() }, PLOT_CONFIG);
    const m = this.mainFrames[this.mainFrames.length - 1];
    const r = this.raceFrames[this.raceFrames.length - 1];
    const fmt = (f) => (f ? `loss ${f.loss.train === null ? '–' : f.loss.train.toFixed(4)} after ${f.epoch} epochs, ${f.evaluations} loss evaluations` : '–');
    const counts = this.page.root.querySelector('.race-counts');
    counts.textContent = `${a}: ${fmt(m)} · ${b}: ${fmt(r)}`;
    counts.dataset.main = m ? String(m.evaluations) : '';
    counts.dataset.race = r ? String(r.evaluations) : '';
  }
}

// The single weight matrix and bias that a stack of linear layers equals:
// x ↦ ((x W₁ + b₁) W₂ + b₂) … = x (W₁W₂…) + b.
export function equivalent(params, hidden) {
  const linear = hidden.every((h) => h.activation === 'linear');
  let W = params[0].W.map((row) => row.slice());
  let b = params[0].b.slice();
  for (const p of params.slice(1)) {
    W = W.map((row) => p.W[0].map((_, j) => row.reduce((s, v, k) => s + v * p.W[k][j], 0)));
    b = p.b.map((bj, j) => bj + b.reduce((s, v, k) => s + v * p.W[k][j], 0));
  }
  return { W, b, linear };
}
