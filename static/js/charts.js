// Plotly charts: the loss over time and the ROC curve. They take plain numbers and redraw
// at most a few times a second, so drawing frames never waits on them.

import { HUGE } from './format.js';

const MAX_POINTS = 600;   // the loss history is thinned past this (every other old point)
const REDRAW_MS = 250;  // the default pause between redraws; the page sets `interval`

const LAYOUT = {
  margin: { l: 38, r: 6, t: 4, b: 24 },
  font: { size: 10 },
  showlegend: false,
  xaxis: { title: { text: '' }, zeroline: false },
  yaxis: { zeroline: false },
  paper_bgcolor: 'rgba(0,0,0,0)',
  plot_bgcolor: '#fff',
};
const CONFIG = { displayModeBar: false, responsive: true };

export class LossChart {
  constructor(div) {
    this.div = div;
    this.steps = []; this.train = []; this.test = [];
    this.log = false;
    this.marker = null;  // {epoch, train, test}: the epoch the page shows from its history
    this.revision = 0;
    this.timer = null;
    this.interval = REDRAW_MS;
  }

  reset(history = []) {
    this.steps = []; this.train = []; this.test = [];
    for (const h of history) this.push(h.epoch, h.train, h.test);
    this.schedule();
  }

  push(epoch, train, test) {
    // A diverging run's losses are drawn at the top of the readable range, not off the chart.
    const clip = (v) => (v === null || v === undefined ? v : Math.min(v, HUGE));
    train = clip(train); test = clip(test);
    const last = this.steps.length - 1;
    if (last >= 0 && this.steps[last] === epoch) {
      this.train[last] = train; this.test[last] = test;
    } else {
      this.steps.push(epoch); this.train.push(train); this.test.push(test);
    }
    if (this.steps.length > MAX_POINTS) {
      const keep = (_, i) => i % 2 === 0 || i === this.steps.length - 1;
      this.steps = this.steps.filter(keep);
      this.train = this.train.filter(keep);
      this.test = this.test.filter(keep);
    }
    this.schedule();
  }

  setLog(on) { this.log = on; this.schedule(); }

  // Mark `epoch` (with the losses there) on the chart, or nothing with null.
  setMarker(epoch, train = null, test = null) {
    const clip = (v) => (v === null || v === undefined ? null : Math.min(v, HUGE));
    this.marker = epoch === null ? null : { epoch, train: clip(train), test: clip(test) };
    this.schedule();
  }

  schedule() {
    if (this.timer) return;
    this.timer = setTimeout(() => { this.timer = null; this.draw(); }, this.interval);
  }

  draw() {
    if (!window.Plotly) return;
    const traces = [
      { x: this.steps, y: this.train, name: 'training loss', mode: 'lines', line: { color: '#333', width: 1.5 },
        hovertemplate: 'epoch %{x}<br>training loss %{y:.4f}<extra></extra>' },
      { x: this.steps, y: this.test, name: 'test loss', mode: 'lines', line: { color: '#999', width: 1.5, dash: 'dot' },
        hovertemplate: 'epoch %{x}<br>test loss %{y:.4f}<extra></extra>' },
    ];
    const m = this.marker;
    if (m) {
      const at = [[m.train, 'training loss'], [m.test, 'test loss']].filter(([v]) => v !== null);
      traces.push({
        x: at.map(() => m.epoch), y: at.map(([v]) => v), text: at.map(([, name]) => name),
        name: 'shown epoch', mode: 'markers', showlegend: false,
        marker: { color: '#e0a800', size: 8, line: { color: '#000', width: 1 } },
        hovertemplate: 'shown: epoch %{x}<br>%{text} %{y:.4f}<extra></extra>',
      });
    }
    const empty = this.steps.length === 0;
    const layout = {
      ...LAYOUT,
      showlegend: true,
      legend: { orientation: 'h', x: 1, xanchor: 'right', y: 1, yanchor: 'bottom', font: { size: 10 } },
      margin: { ...LAYOUT.margin, t: 16 },
      datarevision: ++this.revision,  // the arrays are updated in place
      shapes: m ? [{ type: 'line', xref: 'x', yref: 'paper', x0: m.epoch, x1: m.epoch, y0: 0, y1: 1,
        line: { color: '#e0a800', width: 2 } }] : [],
      yaxis: {
        ...LAYOUT.yaxis, type: this.log ? 'log' : 'linear', automargin: true, tickformat: '.3~g',
        ...(empty ? { range: this.log ? [-2, 0] : [0, 1] } : { rangemode: this.log ? 'normal' : 'tozero' }),
      },
      xaxis: {
        ...LAYOUT.xaxis, title: { text: 'epoch' }, rangemode: 'tozero',
        ...(empty ? { range: [0, 10] } : {}),
      },
    };
    window.Plotly.react(this.div, traces, layout, CONFIG);
  }
}

export class RocChart {
  constructor(div) {
    this.div = div;
    this.timer = null;
    this.pending = null;
    this.interval = REDRAW_MS;
  }

  set(roc, point) {
    this.pending = { roc, point };
    if (this.timer) return;
    this.timer = setTimeout(() => { this.timer = null; this.draw(); }, this.interval);
  }

  draw() {
    if (!window.Plotly || !this.pending) return;
    const { roc, point } = this.pending;
    // With every point counted positive at the lowest threshold, the last point is (1, 1):
    // a rate that never reaches 1 means that class has no points in this set.
    const noPositives = roc && Math.max(0, ...roc.tpr) < 1;
    const noNegatives = roc && Math.max(0, ...roc.fpr) < 1;
    const curve = roc && !noPositives && !noNegatives ? roc : null;
    const traces = [
      { x: [0, 1], y: [0, 1], mode: 'lines', line: { color: '#ccc', dash: 'dot', width: 1 }, hoverinfo: 'skip' },
      { x: curve ? curve.fpr : [], y: curve ? curve.tpr : [], mode: 'lines', line: { color: '#0877bd', width: 2 },
        customdata: curve ? curve.thresholds : [],
        hovertemplate: 'threshold %{customdata:.3f}<br>FPR %{x:.3f}<br>TPR %{y:.3f}<extra></extra>' },
      { x: curve && point ? [point.fpr] : [], y: curve && point ? [point.tpr] : [], mode: 'markers',
        marker: { color: '#f59322', size: 9, line: { color: '#000', width: 1 } },
        hovertemplate: 'current threshold<br>FPR %{x:.3f}<br>TPR %{y:.3f}<extra></extra>' },
    ];
    let title = curve ? `ROC, AUC = ${curve.auc.toFixed(3)}` : 'ROC';
    if (noPositives || noNegatives) {
      const missing = noPositives && noNegatives ? 'points' : noPositives ? 'positive points' : 'negative points';
      title = `ROC: no ${missing} in this set, so no curve and no AUC`;
    }
    const layout = {
      ...LAYOUT,
      datarevision: Date.now(),
      margin: { l: 34, r: 6, t: 18, b: 28 },
      title: { text: title, font: { size: 11 }, y: 0.98 },
      xaxis: { range: [0, 1], title: { text: 'false-positive rate' } },
      yaxis: { range: [0, 1.02], title: { text: 'true-positive rate' } },
    };
    window.Plotly.react(this.div, traces, layout, CONFIG);
  }
}
