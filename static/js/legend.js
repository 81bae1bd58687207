// The plot's legend, one line under it: the classes' inks, or for regression a colour bar of
// the scale that the output map and the points' targets share, with its values.

import { CLASS_COLORS, valueColor } from './colors.js';

const fmt = (v) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : String(+v.toFixed(2)));

export function renderLegend(el, { kind, classes, scale }) {
  const key = JSON.stringify([kind, classes, kind === 'regression' ? fmt(scale) : 0]);
  if (el.dataset.key === key) return;
  el.dataset.key = key;
  el.replaceChildren();
  if (kind === 'regression') {
    el.dataset.kind = 'regression';
    el.dataset.scale = String(scale);
    const steps = [-1, -0.5, 0, 0.5, 1];
    const bar = document.createElement('span');
    bar.className = 'colour-bar';
    bar.style.background = `linear-gradient(to right, ${steps.map((t) => valueColor(t)).join(', ')})`;
    bar.setAttribute('role', 'img');
    bar.setAttribute('aria-label', `Colour scale from ${fmt(-scale)} (orange) through 0 (white) to ${fmt(scale)} (blue)`);
    const label = (text, cls) => { const s = document.createElement('span'); s.className = cls; s.textContent = text; return s; };
    el.append(label('value', 'legend-name'), label(fmt(-scale), 'tick'), bar, label(fmt(scale), 'tick'),
      label('(targets and output; 0 is white)', 'legend-note'));
    return;
  }
  el.dataset.kind = kind;
  const n = kind === 'multiclass' ? classes : 2;
  el.append('class');
  for (let k = 0; k < n; k++) {
    const item = document.createElement('span');
    item.className = 'legend-item';
    const dot = document.createElement('span');
    dot.className = 'dot';
    dot.style.background = CLASS_COLORS[k];
    item.append(dot, String(k));
    el.append(' ', item);
  }
}
