// Plotly charts: the loss over time and the ROC curve. They take plain numbers and redraw
// at most a few times a second, so drawing frames never waits on them.

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
    const layout = {
      ...LAYOUT,
      datarevision: ++this.revision,  // the arrays are updated in place
      yaxis: { ...LAYOUT.yaxis, type: this.log ? 'log' : 'linear' },
      xaxis: { ...LAYOUT.xaxis, title: { text: 'epoch' } },
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
    const traces = [
      { x: [0, 1], y: [0, 1], mode: 'lines', line: { color: '#ccc', dash: 'dot', width: 1 }, hoverinfo: 'skip' },
      { x: roc ? roc.fpr : [], y: roc ? roc.tpr : [], mode: 'lines', line: { color: '#0877bd', width: 2 },
        customdata: roc ? roc.thresholds : [],
        hovertemplate: 'threshold %{customdata:.3f}<br>FPR %{x:.3f}<br>TPR %{y:.3f}<extra></extra>' },
      { x: point ? [point.fpr] : [], y: point ? [point.tpr] : [], mode: 'markers',
        marker: { color: '#f59322', size: 9, line: { color: '#000', width: 1 } },
        hovertemplate: 'current threshold<br>FPR %{x:.3f}<br>TPR %{y:.3f}<extra></extra>' },
    ];
    const title = roc ? `ROC, AUC = ${roc.auc.toFixed(3)}` : 'ROC';
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
