// The quality panel: confusion matrix with its four names, the two kinds of error,
// precision / recall / F1; the K×K matrix with each class's precision, recall and F1 for
// several classes; MSE and R² for regression.

import { formatNumber, formatPercent as pct } from './format.js';

const num = (v) => formatNumber(v, 4);
const f1 = (p, r) => (p + r > 0 ? (2 * p * r) / (p + r) : 0);

function esc(s) { return String(s).replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]); }

export function renderMetrics(root, metrics, set, threshold) {
  const m = metrics?.[set];
  if (!m) {
    root.innerHTML = `<p class="muted">No ${esc(set)} points.</p>`;
    return;
  }
  if (metrics.kind === 'binary') {
    root.innerHTML = `
      <table aria-label="Confusion matrix">
        <tr><th></th><th>predicted 1</th><th>predicted 0</th></tr>
        <tr><th>actual 1</th><td class="tp" data-cell="tp">TP <b>${m.tp}</b></td><td class="fn" data-cell="fn">FN <b>${m.fn}</b></td></tr>
        <tr><th>actual 0</th><td class="fp" data-cell="fp">FP <b>${m.fp}</b></td><td class="tn" data-cell="tn">TN <b>${m.tn}</b></td></tr>
      </table>
      <p class="kinds">At threshold ${threshold.toFixed(2)}: false positives (FP) are errors of the first kind (type I, rate ${pct(m.fpr)}); false negatives (FN) are errors of the second kind (type II, rate ${pct(m.fnr)}).</p>
      <div class="scores">
        <span>accuracy <b data-metric="accuracy">${pct(m.accuracy)}</b></span>
        <span>precision <b data-metric="precision">${pct(m.precision)}</b></span>
        <span>recall <b data-metric="recall">${pct(m.recall)}</b></span>
        <span>F1 <b data-metric="f1">${m.f1.toFixed(3)}</b></span>
      </div>`;
  } else if (metrics.kind === 'multiclass') {
    const k = m.matrix.length;
    let rows = `<tr><th>actual ╲ predicted</th>${Array.from({ length: k }, (_, j) => `<th>${j}</th>`).join('')}</tr>`;
    m.matrix.forEach((row, i) => {
      rows += `<tr><th>${i}</th>${row.map((v, j) => `<td class="${i === j ? 'tp' : 'fp'}">${v}</td>`).join('')}</tr>`;
    });
    const perClass = m.precision.map((p, i) => `<tr data-class="${i}"><th>${i}</th>
        <td data-metric="precision">${pct(p)}</td><td data-metric="recall">${pct(m.recall[i])}</td>
        <td data-metric="f1">${f1(p, m.recall[i]).toFixed(3)}</td></tr>`).join('');
    root.innerHTML = `<table aria-label="Confusion matrix">${rows}</table>
      <div class="scores"><span>accuracy <b data-metric="accuracy">${pct(m.accuracy)}</b></span></div>
      <table class="per-class" aria-label="Per-class scores">
        <tr><th>class</th><th>precision</th><th>recall</th><th>F1</th></tr>${perClass}
      </table>`;
  } else {
    root.innerHTML = `<div class="scores">
      <span>MSE <b data-metric="mse">${num(m.mse)}</b></span>
      <span>R² <b data-metric="r2">${num(m.r2)}</b></span></div>`;
  }
}
