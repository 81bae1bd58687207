// Lessons 5–7: the loss, gradient descent, evolution against gradient descent. Each is a race
// of two sessions measured the same way (see race.js).

import {
  AGE, BLUE, ONE_NEURON, ORANGE, bestNeuron, fill, fmt, live, plotInto, range, rawNeuron, sigmoid,
  split, standardizer,
} from './base.js';

const penaltyPlot = (el) => {
  const p = range(0.005, 0.995, 100);
  plotInto(el, [
    { x: p, y: p.map((v) => -Math.log(v)), name: 'class 1: −log p', line: { color: BLUE } },
    { x: p, y: p.map((v) => -Math.log(1 - v)), name: 'class 0: −log(1−p)', line: { color: ORANGE } },
    { x: p, y: p.map((v) => (1 - v) ** 2), name: 'class 1: (1−p)²', line: { color: BLUE, dash: 'dot' } },
    { x: p, y: p.map((v) => v ** 2), name: 'class 0: p²', line: { color: ORANGE, dash: 'dot' } },
  ], { height: 150, xaxis: { title: { text: 'output p' } }, yaxis: { range: [0, 5] }, showlegend: true, legend: { x: 0.3, y: 1, font: { size: 9 } } });
};

const WRONG = [-3, -3];  // class 1 sits at (2, 2): these weights say class 0 there, confidently

const loss = {
  id: 'loss', title: 'The loss: cross-entropy',
  side: true,
  config: { ...ONE_NEURON, noise: 0.3, lr: 0.03 },
  race: { overrides: { loss: 'mse' }, labels: ['cross-entropy', 'squared error'], axis: 'epoch' },
  async start(send) {
    await send({ type: 'set_param', layer: 0, kind: 'weight', index: [0, 0], value: WRONG[0] });
    await send({ type: 'set_param', layer: 0, kind: 'weight', index: [1, 0], value: WRONG[1] });
    await send({ type: 'set_param', layer: 0, kind: 'bias', index: [0], value: 0 });
  },
  text: `The loss says how wrong the output <i>p</i> is. For a point of class 1 cross-entropy charges
    −log <i>p</i>, for class 0 −log(1 − <i>p</i>): nothing for a confident right answer, without limit for a
    confident wrong one. Squared error, (<i>p</i> − <i>y</i>)², never charges more than 1, and through the sigmoid
    its gradient, 2(<i>p</i> − <i>y</i>)·<i>p</i>(1 − <i>p</i>), vanishes when the neuron is confidently wrong.
    Two copies of one neuron start confidently wrong, <i>w</i> = (−3, −3), on the same data, each learning with
    one loss and measured on both: after ${live('epoch')} epochs cross-entropy gets ${live('ce_acc')} right,
    squared error ${live('mse_acc')}.`,
  predict: `Press Play: which run gets out of the wrong corner first? Check: cross-entropy turns around within
    ten epochs; squared error is still on its plateau, under 10 % right, after 300. Switch the measure:
    cross-entropy's run is ahead on squared error too.`,
  mount(ctx) {
    ctx.box.insertAdjacentHTML('beforeend', '<div class="penalty" aria-label="Penalty of each loss"></div>');
    penaltyPlot(ctx.box.querySelector('.penalty'));
  },
  onRace(ctx) {
    const race = ctx.race;
    const m = race.last('main');
    const r = race.last('race');
    fill(ctx, {
      epoch: m ? m.epoch : 0,
      ce_acc: m ? `${fmt(100 * m.accuracy, 0)} %` : '–',
      mse_acc: r ? `${fmt(100 * r.accuracy, 0)} %` : '–',
    });
  },
};

// --- the loss surface ----------------------------------------------------------------------

// The surface of a session (the page's or the race's), framed on its path and its minimum.
async function fetchSurface(send, config, points, extra = []) {
  let { X, y } = split(points, config.features);
  if (config.normalize) X = standardizer(X).apply(X);
  const best = bestNeuron(X.map((r) => r[0]), y);
  const include = [[best.w, best.b], ...extra].filter((p) => p.every(Number.isFinite)).slice(0, 256);
  const reply = await send({ type: 'get_surface', resolution: 41, include });
  return reply ? { ...reply, best } : null;
}

const contour = (s, axis) => ({
  type: 'contour', x: s.w, y: s.b, z: s.loss, colorscale: 'Greys', reversescale: true, ncontours: 24,
  contours: { coloring: 'heatmap' }, showscale: false, xaxis: `x${axis}`, yaxis: `y${axis}`,
  hovertemplate: 'w %{x:.3f}<br>b %{y:.3f}<br>loss %{z:.4f}<extra></extra>',
});
const pathTrace = (path, axis, name, color) => ({
  x: path.map((p) => p[0]), y: path.map((p) => p[1]), mode: 'lines+markers', name, xaxis: `x${axis}`, yaxis: `y${axis}`,
  line: { color, width: 2 }, marker: { size: 3 },
});
const minTrace = (best, axis) => ({
  x: [best.w], y: [best.b], mode: 'markers', name: 'minimum', xaxis: `x${axis}`, yaxis: `y${axis}`,
  marker: { symbol: 'x', size: 9, color: '#d62728' },
});
const frameAxes = (s, n) => ({
  [`xaxis${n === 1 ? '' : n}`]: { title: { text: n === 1 ? 'w' : 'w (raw ages)' }, range: [s.w[0], s.w[s.w.length - 1]], domain: n === 1 ? [0, 0.47] : [0.53, 1], anchor: `y${n === 1 ? '' : n}` },
  [`yaxis${n === 1 ? '' : n}`]: { title: { text: 'b' }, range: [s.b[0], s.b[s.b.length - 1]], anchor: `x${n === 1 ? '' : n}` },
});

// Redraws the surfaces at most every 400 ms, one request at a time.
function surfaceSoon(ctx) {
  if (ctx.surfacePending) { ctx.surfaceAgain = true; return; }
  ctx.surfacePending = true;
  ctx.later(async () => {
    try { await ctx.lesson.drawSurfaces(ctx); } finally {
      ctx.surfacePending = false;
      if (ctx.surfaceAgain) { ctx.surfaceAgain = false; surfaceSoon(ctx); }
    }
  }, 400);
}

// How a run's loss moves: falling, zig-zagging (it rose at some recent steps) or diverging.
export function behaviour(list, status) {
  if (status === 'diverged') return 'diverged: the weights blew up and training stopped';
  const recent = list.slice(-21);
  if (recent.length < 4) return 'not started';
  let rises = 0;
  for (let i = 1; i < recent.length; i++) if (recent[i].loss > recent[i - 1].loss + 1e-9) rises++;
  const first = list[0].loss;
  const last = recent[recent.length - 1].loss;
  if (!(last < first * 3)) return 'diverging: the loss is growing';
  if (rises >= 3) return `zig-zag: the loss rose at ${rises} of the last ${recent.length - 1} steps`;
  return 'converging';
}

const LR_STEPS = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];

const descent = {
  id: 'descent', title: 'Gradient descent',
  chart: true,
  config: { ...AGE, lr: 0.003 },
  race: { overrides: { normalize: false }, labels: ['normalized ages', 'raw ages'], axis: 'epoch' },
  text: `One neuron guesses whether a customer buys from their age: P(buy) = σ(<i>w</i> · age + <i>b</i>).
    The contours are the loss for every pair (<i>w</i>, <i>b</i>), the cross marks the minimum, and each step moves
    downhill by −α · gradient. Left: the ages normalized (mean 0, spread 1); right: the same neuron on raw ages,
    where the valley is long and thin. With α = ${live('lr')}: normalized ${live('flag_main')};
    raw ${live('flag_race')}. In raw units the normalized run is now
    <i>w</i> = ${live('w')}, <i>b</i> = ${live('b')}, P(45) = ${live('p45')} (50 % at ${live('age50')} years), after ${live('steps')} steps;
    the raw run is at <i>w</i> = ${live('rw')}, <i>b</i> = ${live('rb')}.`,
  predict: `Raise α one notch at a time: at which α does the raw run start to zig-zag, and when does it blow up?
    Check: on raw ages the loss already rises at some steps at α = 0.01, and from α = 0.1 on it grows; on
    normalized ages every α up to 10 converges, the larger the faster.`,
  mount(ctx) {
    const cfg = ctx.page.config();
    const i = Math.max(0, LR_STEPS.findIndex((v) => v >= cfg.lr));
    ctx.box.insertAdjacentHTML('beforeend', `<label class="lr">α <input type="range" min="0" max="${LR_STEPS.length - 1}" step="1" value="${i}" aria-label="Learning rate α">
      <output>${LR_STEPS[i]}</output></label><p class="flags" aria-live="polite"></p>`);
    const input = ctx.box.querySelector('label.lr input');
    input.addEventListener('input', () => { input.nextElementSibling.textContent = String(LR_STEPS[input.value]); });
    input.addEventListener('change', async () => {
      await ctx.page.command({ type: 'pause' });
      await ctx.page.configure({ lr: LR_STEPS[input.value] });
      await ctx.page.command({ type: 'reset' });
      ctx.restartChart();
      if (ctx.race) { await ctx.race.mirrorConfig(); await ctx.race.mirror('reset'); }
    });
    surfaceSoon(ctx);
  },
  frame(ctx, frame) {
    const cfg = ctx.page.config();
    const { X } = split(ctx.page.points(), cfg.features);
    const raw = rawNeuron(frame.params[0].W, frame.params[0].b, cfg.normalize ? standardizer(X) : { mean: [0], std: [1] });
    fill(ctx, {
      lr: cfg.lr, w: fmt(raw.w[0], 4), b: fmt(raw.b, 3), p45: `${fmt(100 * sigmoid(raw.w[0] * 45 + raw.b), 1)} %`,
      age50: fmt(-raw.b / raw.w[0], 1), steps: frame.step,
    });
    ctx.mainStatus = frame.status;
    surfaceSoon(ctx);
  },
  onRace(ctx) {
    const r = ctx.race.last('race');
    const main = behaviour(ctx.race.frames.main, ctx.mainStatus);
    const raw = behaviour(ctx.race.frames.race, ctx.raceStatus);
    fill(ctx, { flag_main: main, flag_race: raw, rw: r ? fmt(r.params[0].W[0][0], 4) : '–', rb: r ? fmt(r.params[0].b[0], 3) : '–' });
    const flags = ctx.box.querySelector('.flags');
    flags.dataset.main = main.split(':')[0];
    flags.dataset.race = raw.split(':')[0];
    flags.classList.toggle('warn', /zig|diverg/.test(main + raw));
  },
  async drawSurfaces(ctx) {
    const race = ctx.race;
    if (!race?.ready || !race.raceConfig || !race.racePoints) { surfaceSoon(ctx); return; }
    const [a, b] = await Promise.all([
      fetchSurface((c) => ctx.page.command(c), ctx.page.config(), ctx.page.points()),
      fetchSurface((c) => race.send(c), race.raceConfig, race.racePoints),
    ]);
    if (!ctx.live || !a || !b) return;
    const st = await race.send({ type: 'get_state' });
    ctx.raceStatus = st?.state?.status;
    plotInto(ctx.chart, [
      contour(a, ''), pathTrace(a.path, '', 'normalized path', BLUE), minTrace(a.best, ''),
      contour(b, '2'), pathTrace(b.path, '2', 'raw path', ORANGE), minTrace(b.best, '2'),
    ], { ...frameAxes(a, 1), ...frameAxes(b, 2), showlegend: false });
    ctx.chart.dataset.path = JSON.stringify(a.path);
    ctx.chart.dataset.rawPath = JSON.stringify(b.path);
  },
};

const evolution = {
  id: 'evolution', title: 'Evolution versus gradient descent',
  chart: true,
  config: { ...AGE, lr: 0.3 },
  race: { overrides: { method: 'evolution', population: 30, sigma: 0.3, elite: 2 }, labels: ['gradient descent', 'evolution'], axis: 'evaluations' },
  text: `Evolution needs no gradient: it keeps a population of (<i>w</i>, <i>b</i>) pairs (the orange dots), keeps
    the best, and fills the rest with mutated copies of good ones; the orange line is its best so far. Both start
    from the same weights. Gradient descent spends one loss evaluation per step, evolution one per member per
    generation (30), so the fair comparison is at equal evaluations: at ${live('budget')} evaluations
    gradient descent's loss is ${live('gd')} and evolution's best is ${live('evo')}.`,
  predict: `Spend 150 evaluations on each: which loss will be lower? Check: gradient descent's. Evolution's
    generations look fast on an epoch axis only because each one costs 30 evaluations.`,
  mount(ctx) {
    ctx.box.insertAdjacentHTML('beforeend', `<div class="row"><button type="button" data-budget="90">+90 evaluations each</button>
      <button type="button" data-budget="150">+150 evaluations each</button></div>`);
    for (const btn of ctx.box.querySelectorAll('button[data-budget]')) {
      btn.addEventListener('click', async () => {
        const budget = Number(btn.dataset.budget);
        const cfg = ctx.page.config();
        const train = ctx.page.points().test.filter((t) => !t).length;
        const perEpoch = Math.max(1, Math.ceil(train / cfg.batch_size));
        await ctx.page.command({ type: 'pause' });
        await ctx.race?.send({ type: 'pause' });
        await Promise.all([
          ctx.page.command({ type: 'step', epochs: Math.max(1, Math.round(budget / perEpoch)) }),
          ctx.race?.send({ type: 'step', epochs: Math.max(1, Math.round(budget / ctx.race.spec.overrides.population)) }),
        ]);
      });
    }
    surfaceSoon(ctx);
  },
  frame(ctx) { surfaceSoon(ctx); },
  onRace(ctx) {
    const race = ctx.race;
    const m = race.last('main');
    const r = race.last('race');
    if (!m || !r) return;
    const budget = Math.min(m.evaluations, r.evaluations);
    const gd = race.at('main', budget);
    const evo = race.at('race', budget);
    fill(ctx, { budget, gd: gd ? fmt(gd.ce, 4) : '–', evo: evo ? fmt(evo.ce, 4) : '–' });
    const el = ctx.root.querySelector('[data-live=budget]');
    el.dataset.gd = gd ? String(gd.ce) : '';
    el.dataset.evo = evo ? String(evo.ce) : '';
    el.dataset.budget = String(budget);
  },
  async drawSurfaces(ctx) {
    const race = ctx.race;
    if (!race?.ready) { surfaceSoon(ctx); return; }
    const pop = race.last('race')?.population || [];
    const best = await race.send({ type: 'get_history' });
    const evoPath = best?.path || [];
    const s = await fetchSurface((c) => ctx.page.command(c), ctx.page.config(), ctx.page.points(), [...pop, ...evoPath].slice(0, 255));
    if (!ctx.live || !s) return;
    const traces = [contour(s, ''), pathTrace(s.path, '', 'gradient descent', BLUE), pathTrace(evoPath, '', 'evolution, best so far', ORANGE), minTrace(s.best, '')];
    if (pop.length) {
      traces.push({ x: pop.map((p) => p[0]), y: pop.map((p) => p[1]), mode: 'markers', name: 'population',
        marker: { color: ORANGE, size: 5, line: { color: '#000', width: 0.5 } } });
    }
    plotInto(ctx.chart, traces, { xaxis: { title: { text: 'w' }, range: [s.w[0], s.w[s.w.length - 1]] }, yaxis: { title: { text: 'b' }, range: [s.b[0], s.b[s.b.length - 1]] }, showlegend: false });
    ctx.chart.dataset.path = JSON.stringify(s.path);
    ctx.chart.dataset.evolutionPath = JSON.stringify(evoPath);
  },
};

export const TRAINING = [loss, descent, evolution];
