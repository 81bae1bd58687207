// The age model: built by hand from the article's numbers, then trained and judged.

import {
  AGE, BLUE, ORANGE, fill, fmt, live, plotInto, range, rawNeuron, sigmoid, split, standardizer,
} from './base.js';

const ARTICLE = { w: 0.25, b: -10.5 };

const ageModel = {
  id: 'age-model', title: 'Building the age model by hand',
  chart: true,
  config: { ...AGE, normalize: false },
  text: `Will a customer buy, from their age alone? One neuron with one input: P(buy) = σ(<i>w</i>·age + <i>b</i>).
    σ crosses 50 % where its argument is 0, so to put the switch at ${live('shift')} years shift the age:
    σ(age − ${live('shift')}). Then set how steep the step is by a slope: σ(${live('slope')}·(age − ${live('shift')})).
    Opening the brackets gives <i>w</i> = ${live('w')} and <i>b</i> = ${live('b')} (the dotted curve is shift 42,
    slope 0.25: <i>w</i> = 0.25, <i>b</i> = −10.5). The bias is just one more weight, <i>w</i><sub>0</sub> = <i>b</i>, on an input that is
    always <i>x</i><sub>0</sub> = 1: a customer of 45 is the vector (1, 45), and
    <i>w</i><sub>0</sub>·1 + <i>w</i><sub>1</sub>·45 = ${live('z45')}, so P(42) = ${live('p42')} and
    P(45) = ${live('p45')}. On these ${live('n')} training customers the neuron's loss is ${live('loss')}.`,
  predict: `Make the slope 1: will P(45) go up or down, and does P(42) move? Check: P(45) rises to about 95 %;
    P(42) stays at 50 % — the shift alone places the switch.`,
  mount(ctx) {
    ctx.box.insertAdjacentHTML('beforeend', `<div class="sliders">
      <label>shift <input type="range" min="20" max="70" step="1" value="42" data-age="shift" aria-label="Shift"><output>42</output></label>
      <label>slope <input type="range" min="0.05" max="1" step="0.05" value="0.25" data-age="slope" aria-label="Slope"><output>0.25</output></label></div>`);
    const inputs = [...ctx.box.querySelectorAll('input[data-age]')];
    const apply = () => {
      const shift = Number(inputs[0].value);
      const slope = Number(inputs[1].value);
      for (const i of inputs) i.nextElementSibling.textContent = i.value;
      const w = slope;
      const b = -slope * shift;
      ctx.model = { w, b };
      fill(ctx, { shift, slope, w: fmt(w, 2), b: fmt(b, 2), z45: fmt(w * 45 + b, 2), p42: `${fmt(100 * sigmoid(w * 42 + b), 1)} %`, p45: `${fmt(100 * sigmoid(w * 45 + b), 1)} %` });
      ctx.root.querySelector('[data-live=p45]').dataset.value = String(sigmoid(w * 45 + b));
      this.drawCurve(ctx);
      clearTimeout(ctx.sendTimer);
      ctx.sendTimer = setTimeout(async () => {
        if (!ctx.live) return;
        await ctx.page.command({ type: 'set_param', layer: 0, kind: 'weight', index: [0, 0], value: w });
        await ctx.page.command({ type: 'set_param', layer: 0, kind: 'bias', index: [0], value: b });
      }, 60);
    };
    for (const i of inputs) i.addEventListener('input', apply);
    apply();
  },
  unmount(ctx) { clearTimeout(ctx.sendTimer); },
  drawCurve(ctx) {
    const ages = range(15, 85, 141);
    const { X, y } = split(ctx.page.points(), ['x1']);
    const m = ctx.model;
    plotInto(ctx.chart, [
      { x: X.map((r) => r[0]), y: y.map((v, i) => v + 0.03 * (((i * 7919) % 11) / 10 - 0.5)), mode: 'markers', name: 'customers (1 = bought)', marker: { size: 4, color: y.map((v) => (v ? BLUE : ORANGE)) } },
      { x: ages, y: ages.map((a) => sigmoid(m.w * a + m.b)), name: 'your neuron', line: { color: '#000' } },
      { x: ages, y: ages.map((a) => sigmoid(ARTICLE.w * a + ARTICLE.b)), name: 'σ(0.25·age − 10.5)', line: { color: '#888', dash: 'dot' } },
    ], { xaxis: { title: { text: 'age' } }, yaxis: { title: { text: 'P(buy)' }, range: [-0.05, 1.05] }, showlegend: true, legend: { x: 0, y: 1, font: { size: 9 } } });
  },
  frame(ctx, frame) {
    fill(ctx, { loss: fmt(frame.loss.train, 4), n: ctx.page.points().test.filter((t) => !t).length });
  },
};

// The threshold that minimises cost = ratio·FN + FP on outputs p (n) with labels y (n): the
// candidates lie halfway between neighbouring outputs, so the counts do not hang on rounding.
export function bestThreshold(p, y, ratio) {
  const order = p.map((v, i) => i).sort((i, j) => p[i] - p[j]);
  const positives = y.reduce((n, v) => n + (v ? 1 : 0), 0);
  // Threshold below order[k]: FN = positives among the first k, FP = negatives from k on.
  let fn = 0;
  let fp = y.length - positives;
  let best = { threshold: 0, fn, fp, cost: fp };
  for (let k = 0; k < order.length; k++) {
    if (y[order[k]]) fn++; else fp--;
    const next = k + 1 < order.length ? p[order[k + 1]] : 1;
    if (next === p[order[k]]) continue;
    const cost = ratio * fn + fp;
    if (cost < best.cost) best = { threshold: (p[order[k]] + next) / 2, fn, fp, cost };
  }
  return best;
}

const RATIOS = [1, 2, 3, 5, 10];

const judging = {
  id: 'judging', title: 'Judging a model',
  config: { ...AGE, method: 'sgd', lr: 0.3, batch_size: 2000, speed: 1 },
  start: async (send) => { await send({ type: 'step', epochs: 300 }); },
  startOnReset: false,
  metricsSet: 'train',  // the matrix counts the points the plot shows
  text: `The neuron was trained for ${live('epoch')} epochs of gradient descent; in raw units it is
    σ(${live('w')}·age ${live('b')}), close to the rule the data were drawn from, σ(0.25·age − 10.5): 50 % at
    ${live('age50')} years instead of 42. It outputs P(buy); a threshold turns it into a decision. The matrix counts
    the ${live('n')} training points drawn on the plot. Lower the threshold and you catch more buyers but call more
    non-buyers too: false positives, errors of the first kind. Raise it and you trade those for missed buyers:
    false negatives, errors of the second kind. When a miss costs more than a false alarm (a disease test, a lost
    sale), accept more of the first kind: with a cost ratio FN : FP of ${live('ratio')} : 1 the cheapest threshold is
    ${live('best')} (${live('fn')} FN, ${live('fp')} FP).`,
  predict: `Raise the cost ratio: will the best threshold go up or down? Check: down — a costly miss is avoided
    by saying “buys” more often.`,
  mount(ctx) {
    ctx.box.insertAdjacentHTML('beforeend', `<label class="row">cost ratio FN : FP <input type="range" min="0" max="${RATIOS.length - 1}" step="1" value="2" data-ratio aria-label="Cost ratio">
      <output data-ratio-out>3 : 1</output></label><button type="button" data-use>Use this threshold</button>`);
    const input = ctx.box.querySelector('[data-ratio]');
    input.addEventListener('input', () => {
      ctx.box.querySelector('[data-ratio-out]').textContent = `${RATIOS[input.value]} : 1`;
      if (ctx.frame) this.frame(ctx, ctx.frame);
    });
    ctx.box.querySelector('[data-use]').addEventListener('click', () => {
      if (ctx.best) ctx.page.configure({ threshold: ctx.best.threshold });
    });
  },
  frame(ctx, frame) {
    const cfg = ctx.page.config();
    const { X } = split(ctx.page.points(), cfg.features);
    if (!X.length) return;
    const raw = rawNeuron(frame.params[0].W, frame.params[0].b, cfg.normalize ? standardizer(X) : { mean: [0], std: [1] });
    const ratio = RATIOS[ctx.box.querySelector('[data-ratio]').value];
    const { y } = split(ctx.page.points(), cfg.features);
    const outputs = X.map((r) => sigmoid(raw.w[0] * r[0] + raw.b));
    const best = bestThreshold(outputs, y, ratio);
    ctx.best = best;
    fill(ctx, {
      epoch: frame.epoch, w: fmt(raw.w[0], 4), b: `${raw.b < 0 ? '−' : '+'} ${fmt(Math.abs(raw.b), 3)}`,
      age50: fmt(-raw.b / raw.w[0], 1), n: X.length, ratio,
      best: fmt(best.threshold, 3), fn: best.fn, fp: best.fp,
    });
    const el = ctx.root.querySelector('[data-live=best]');
    el.dataset.value = String(best.threshold);
    const wEl = ctx.root.querySelector('[data-live=w]');
    wEl.dataset.w = String(raw.w[0]);
    wEl.dataset.b = String(raw.b);
  },
};

export const JUDGING = [ageModel, judging];
