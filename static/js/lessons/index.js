// Lessons: from one neuron to a trained network, and how to judge it. Each lesson sets its
// complete configuration (the same config the URL carries), says a few sentences whose numbers
// are read live from the session, and adds a few widgets; every other control stays live.

import { fullConfig } from './base.js';
import { BASICS } from './basics.js';
import { NETWORKS } from './networks.js';
import { Race } from './race.js';
import { installStyle } from './style.js';
import { JUDGING } from './judging.js';
import { TRAINING } from './training.js';

const byId = Object.fromEntries([...BASICS, ...TRAINING, ...NETWORKS, ...JUDGING].map((l) => [l.id, l]));
const ORDER = [
  'neuron', 'linear', 'stacking', 'activations', 'loss', 'age-model', 'descent', 'evolution',
  'backprop', 'spaces', 'classes', 'overfitting', 'judging',
];

export const LESSONS = ORDER.map((id, i) => ({
  ...byId[id], title: `${i + 1}. ${byId[id].title}`, config: fullConfig(byId[id].config),
}));

export class Lessons {
  // page: {configure(changes), command(cmd), setView(view), config(), points(), resetChart(), root, chart}
  constructor(page) {
    this.page = page;
    this.current = null;
    this.ctx = null;
    this.lastFrame = null;
    installStyle();
  }

  get race() { return this.ctx?.race || null; }

  index() { return LESSONS.findIndex((l) => l.id === this.current?.id); }

  async open(id, { apply = true } = {}) {
    this.close();
    const lesson = LESSONS.find((l) => l.id === id);
    if (!lesson) return;
    const ctx = {
      page: this.page, lesson, race: null, timers: new Set(), live: true,
      root: this.page.root, chart: this.page.chart,
      // The loss chart starts over: now, and again when the first frame after the reset is
      // drawn (frames decoded before it would bring back the old epochs).
      restartChart: () => { ctx.chartReset = true; this.page.resetChart(); },
      // A timer that is cleared when the lesson closes.
      later: (fn, ms) => {
        const t = setTimeout(() => { ctx.timers.delete(t); if (ctx.live) fn(); }, ms);
        ctx.timers.add(t);
      },
    };
    this.current = lesson;
    this.ctx = ctx;
    if (apply) {
      this.page.setView({ gradients: false, showTest: false, discretize: false, log: false, ...(lesson.view || {}) });
      // The set the quality panel counts: the lesson's, or the page's default.
      const set = document.getElementById('metrics-set');
      const wanted = lesson.metricsSet || 'test';
      if (set && set.value !== wanted) { set.value = wanted; set.dispatchEvent(new Event('change')); }
      await this.page.command({ type: 'pause' });
      if (!ctx.live) return;
      await this.page.configure(lesson.config);
      if (!ctx.live) return;
      await this.page.command({ type: 'reset' });  // fresh weights from the lesson's seed
      if (!ctx.live) return;
      if (lesson.start) await lesson.start((cmd) => this.page.command(cmd));
      if (!ctx.live) return;
      ctx.restartChart();
    }
    this.render(ctx);
    if (lesson.race) ctx.race = new Race(this.page, lesson, ctx.side || ctx.box, ctx);
    if (this.lastFrame) this.onFrame(this.lastFrame);
  }

  close() {
    const ctx = this.ctx;
    if (ctx) {
      ctx.live = false;
      for (const t of ctx.timers) clearTimeout(t);
      ctx.timers.clear();
      if (ctx.race) ctx.race.close();
      this.current?.unmount?.(ctx);
    }
    this.ctx = null;
    this.current = null;
    this.page.root.classList.add('hidden');
    this.page.root.replaceChildren();
    this.page.chart.classList.add('hidden');
    for (const el of document.querySelectorAll('.lesson-side')) el.remove();
    delete this.page.chart.dataset.path;
    document.body.classList.remove('lesson-chart-on');
    if (window.Plotly) window.Plotly.purge(this.page.chart);
  }

  render(ctx) {
    const l = ctx.lesson;
    const root = this.page.root;
    root.classList.remove('hidden');
    root.innerHTML = `<h3>${l.title}</h3><div class="lesson-text">${l.text.replace(/\s+/g, ' ')}</div>
      ${l.predict ? `<details class="predict"><summary>Predict, then check</summary><p>${l.predict.replace(/\s+/g, ' ')}</p></details>` : ''}
      <div class="widgets"></div>`;
    ctx.box = root.querySelector('.widgets');
    const usesChart = !!l.chart;
    this.page.chart.classList.toggle('hidden', !usesChart);
    // A lesson's wide widgets sit under the plot, in the place of the ROC curve.
    if (l.side) {
      ctx.side = document.createElement('div');
      ctx.side.className = 'lesson-side';
      ctx.side.setAttribute('aria-label', 'Lesson details');
      this.page.chart.insertAdjacentElement('afterend', ctx.side);
    }
    document.body.classList.toggle('lesson-chart-on', usesChart || !!l.side);
    l.mount?.(ctx);
  }

  onFrame(frame) {
    this.lastFrame = frame;
    const ctx = this.ctx;
    if (!ctx || !ctx.box || !ctx.live) return;
    ctx.frame = frame;
    if (ctx.chartReset && frame.step === 0) { ctx.chartReset = false; this.page.resetChart(); }
    ctx.race?.onMainFrame(frame);
    ctx.lesson.frame?.(ctx, frame);
  }

  // The page's play / pause / step / reset: a race follows; a reset returns to the lesson's start.
  async mirror(type) {
    const ctx = this.ctx;
    if (!ctx) return;
    if (type === 'reset' && ctx.lesson.start && ctx.lesson.startOnReset !== false) await ctx.lesson.start((cmd) => this.page.command(cmd));
    if (ctx.race) await ctx.race.mirror(type);
    ctx.lesson.onCommand?.(ctx, type);
  }
}
