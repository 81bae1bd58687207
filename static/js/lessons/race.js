// A race: a second session trains beside the page's own, from the same data and weights, with
// one setting different. Both runs are measured the same way (computed here from each run's
// weights on the same training points), every other setting is mirrored to the second run, and
// a banner says so when the race is no longer fair.

import { Socket } from '../socket.js';
import { BLUE, ORANGE, fmt, neuronLosses, plotInto, split, standardizer } from './base.js';

const MEASURES = { ce: 'cross-entropy', mse: 'squared error', accuracy: 'accuracy' };
const AXES = { epoch: 'epochs', evaluations: 'loss evaluations' };

export class Race {
  // page: the lesson page; lesson: its race is {overrides, labels, axis}, its start(send) sets
  // the first weights; box: where the chart goes; ctx: the open lesson.
  constructor(page, lesson, box, ctx) {
    this.page = page;
    this.ctx = ctx;
    this.lesson = lesson;
    this.spec = lesson.race;
    this.frames = { main: [], race: [] };
    this.raceConfig = null;
    this.racePoints = null;
    this.timer = null;
    this.closed = false;
    this.mirroring = false;
    const [a, b] = this.spec.labels;
    box.insertAdjacentHTML('beforeend', `<div class="race">
      <div class="row race-controls">
        <label>measure <select data-race-measure aria-label="Race measure">${Object.entries(MEASURES).map(([k, v]) => `<option value="${k}">${v}</option>`).join('')}</select></label>
        <label>x-axis <select data-race-axis aria-label="Race x-axis">${Object.entries(AXES).map(([k, v]) => `<option value="${k}">${v}</option>`).join('')}</select></label>
      </div>
      <p class="race-banner hidden" role="alert"></p>
      <div class="race-chart" aria-label="Loss of both trainings"></div>
      <p class="race-counts" aria-live="polite"><span data-run="main">${a}: –</span><br><span data-run="race">${b}: –</span></p></div>`);
    this.el = box.querySelector('.race');
    this.measure = this.el.querySelector('[data-race-measure]');
    this.axis = this.el.querySelector('[data-race-axis]');
    this.axis.value = this.spec.axis || 'epoch';
    for (const s of [this.measure, this.axis]) s.addEventListener('change', () => this.draw());
    this.socket = new Socket({ onStatus: () => {}, onMessage: (msg) => this.receive(msg) });
    this.socket.connect();
  }

  get sessionId() { return this.socket.sessionId; }

  close() {
    this.closed = true;
    clearTimeout(this.timer);
    this.socket.close();
  }

  send(cmd) { return this.closed ? Promise.resolve(null) : this.socket.send(cmd).catch(() => null); }

  async receive(msg) {
    if (this.closed) return;
    if (msg.state) this.raceConfig = msg.state.config;
    if (msg.type === 'hello' && !this.started) {
      this.started = true;
      const changes = { ...this.page.config(), ...this.spec.overrides };
      delete changes.fps;
      const reply = await this.send({ type: 'config', changes });
      if (reply?.state) this.raceConfig = reply.state.config;
      await this.send({ type: 'reset' });
      if (this.lesson.start) await this.lesson.start((cmd) => this.send(cmd));
      this.ready = true;
      this.checkFair();
    } else if (msg.type === 'points') {
      this.racePoints = msg;
    } else if (msg.type === 'frame') {
      this.push('race', msg, this.raceConfig, this.racePoints);
    }
  }

  // Play, pause, step and reset go to both runs.
  async mirror(type) {
    if (type === 'reset') {
      this.frames = { main: [], race: [] };
      await this.send({ type: 'reset' });
      if (this.lesson.start) await this.lesson.start((cmd) => this.send(cmd));
      return;
    }
    await this.send(type === 'step' ? { type, epochs: 1 } : { type });
  }

  onMainFrame(frame) {
    this.push('main', frame, this.page.config(), this.page.points());
    this.mirrorConfig();
  }

  // Every setting but the race's own follows the page's run.
  async mirrorConfig() {
    if (!this.ready || this.mirroring || !this.raceConfig) return;
    const mine = this.page.config();
    const changes = {};
    for (const [k, v] of Object.entries(mine)) {
      if (k === 'fps' || k in this.spec.overrides) continue;
      if (JSON.stringify(this.raceConfig[k]) !== JSON.stringify(v)) changes[k] = v;
    }
    if (Object.keys(changes).length) {
      this.mirroring = true;
      try {
        const reply = await this.send({ type: 'config', changes });
        if (reply?.state) this.raceConfig = reply.state.config;
        if (reply?.changes?.rebuilt) this.frames.race = [];
      } finally { this.mirroring = false; }
    }
    this.checkFair();
  }

  // Fair while both runs agree on everything but the race's own settings, and the page's run
  // still has the lesson's values for those.
  checkFair() {
    const mine = this.page.config();
    const diff = Object.keys(this.spec.overrides).filter(
      (k) => JSON.stringify(mine[k]) !== JSON.stringify(this.lesson.config[k]),
    );
    const banner = this.el.querySelector('.race-banner');
    banner.classList.toggle('hidden', diff.length === 0);
    banner.textContent = diff.length
      ? `No longer a fair race: ${diff.join(', ')} changed on the first run only. Open the lesson again to restart it.` : '';
    this.el.dataset.fair = String(diff.length === 0);
  }

  push(which, frame, config, points) {
    if (!config || !points) return;
    let { X, y } = split(points, config.features);
    if (config.normalize) X = standardizer(X).apply(X);
    // A frame of the network from before the lesson's settings took effect (other inputs).
    if (X.length && frame.params?.[0]?.W.length !== X[0].length) return;
    const m = neuronLosses(frame.params, X, y);
    const list = this.frames[which];
    const last = list[list.length - 1];
    if (last && frame.step < last.step) list.length = 0;  // a reset or a rebuild
    const rec = { epoch: frame.epoch, step: frame.step, evaluations: frame.evaluations, loss: frame.loss.train, ...m, params: frame.params, population: frame.population };
    if (last && last.step === frame.step && last.evaluations === frame.evaluations) list[list.length - 1] = rec; else list.push(rec);
    if (list.length > 2000) list.splice(0, list.length - 2000);
    if (!this.timer) this.timer = setTimeout(() => { this.timer = null; this.draw(); }, 200);
  }

  last(which) { const l = this.frames[which]; return l[l.length - 1] || null; }

  // The record of a run at (or just before) a number of loss evaluations.
  at(which, evaluations) {
    let found = null;
    for (const r of this.frames[which]) if (r.evaluations <= evaluations) found = r;
    return found;
  }

  draw() {
    if (this.closed) return;
    const [a, b] = this.spec.labels;
    const measure = this.measure.value;
    const axis = this.axis.value;
    const series = (list) => ({ x: list.map((r) => r[axis]), y: list.map((r) => r[measure]) });
    plotInto(this.el.querySelector('.race-chart'), [
      { ...series(this.frames.main), name: a, line: { color: BLUE } },
      { ...series(this.frames.race), name: b, line: { color: ORANGE } },
    ], {
      height: 160, showlegend: true, legend: { x: 0.45, y: 1, font: { size: 9 } },
      xaxis: { title: { text: AXES[axis] } }, yaxis: { title: { text: MEASURES[measure] } },
    });
    const line = (r) => (r ? `cross-entropy ${fmt(r.ce, 4)}, squared error ${fmt(r.mse, 4)}, accuracy ${fmt(100 * r.accuracy, 0)} % — ${r.epoch} epochs, ${r.evaluations} loss evaluations` : '–');
    for (const [which, label] of [['main', a], ['race', b]]) {
      const r = this.last(which);
      const span = this.el.querySelector(`[data-run=${which}]`);
      span.textContent = `${label} run — ${line(r)}`;
      span.dataset.evaluations = r ? String(r.evaluations) : '';
      span.dataset.ce = r ? String(r.ce) : '';
      span.dataset.mse = r ? String(r.mse) : '';
      span.dataset.accuracy = r ? String(r.accuracy) : '';
      span.dataset.epoch = r ? String(r.epoch) : '';
    }
    if (this.ctx.race === this) this.lesson.onRace?.(this.ctx);
  }
}
