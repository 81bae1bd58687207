// The data panel: preset thumbnails, the class picker, regenerate / clear / eraser, and the
// points as CSV (read and written by the server).

import { CLASS_COLORS } from '../colors.js';
import { LIMITS } from '../config.js';
import { download } from './files.js';

const $ = (id) => document.getElementById(id);

// `hub` holds the page's shared state and glue (see main.js): app, the views, command, configure, …
export function setupData(hub) {
  const { app, plot, command, configure, note, applyState } = hub;

  let thumbs = [];
  async function refreshThumbnails() {
    const noise = app.config.noise, classes = app.config.classes;
    try {
      const r = await fetch(`/api/datasets?noise=${noise}&classes=${classes}`);
      thumbs = await r.json();
    } catch { return; }
    const root = $('presets');
    root.replaceChildren();
    for (const d of thumbs) {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'preset';
      b.setAttribute('role', 'radio');
      b.setAttribute('aria-label', `Dataset ${d.name}`);
      b.dataset.name = d.name;
      b.title = `${d.name} (${d.kind})`;
      const c = document.createElement('canvas');
      c.width = c.height = 48;
      drawThumb(c, d);
      const span = document.createElement('span');
      span.textContent = d.name;
      b.append(c, span);
      b.addEventListener('click', () => configure({ dataset: d.name }));
      root.appendChild(b);
    }
    markPreset(app.config.dataset);
  }

  function drawThumb(canvas, d) {
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, 48, 48);
    const [[x0, x1], [y0, y1] = [-0.2, 1.2]] = d.domain;
    d.x.forEach((p, i) => {
      const label = d.y[i];
      const px = ((p[0] - x0) / (x1 - x0)) * 46 + 1;
      const yv = d.inputs === 1 ? label + (((i * 37) % 10) / 10 - 0.5) * 0.2 : p[1];
      const py = 47 - ((yv - y0) / (y1 - y0)) * 46;
      ctx.fillStyle = d.kind === 'regression' ? (label < 0 ? CLASS_COLORS[0] : CLASS_COLORS[1]) : CLASS_COLORS[label];
      ctx.fillRect(px - 1, py - 1, 2.5, 2.5);
    });
  }

  function markPreset(name) {
    for (const b of document.querySelectorAll('.preset')) b.setAttribute('aria-checked', String(b.dataset.name === name));
  }

  function renderClassPicker(state) {
    const root = $('class-picker');
    const labels = state.kind === 'regression' ? [-1, 1] : Array.from({ length: state.classes || 2 }, (_, k) => k);
    if (root.dataset.key === JSON.stringify(labels)) return;
    root.dataset.key = JSON.stringify(labels);
    root.replaceChildren();
    labels.forEach((label, k) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.setAttribute('role', 'radio');
      b.setAttribute('aria-label', state.kind === 'regression' ? `Target ${label}` : `Class ${label}`);
      b.style.background = CLASS_COLORS[k];
      b.setAttribute('aria-checked', String(k === 0));
      b.addEventListener('click', () => {
        for (const o of root.children) o.setAttribute('aria-checked', 'false');
        b.setAttribute('aria-checked', 'true');
        plot.selectedClass = label;
      });
      root.appendChild(b);
    });
    plot.selectedClass = labels[0];
  }

  $('regenerate').addEventListener('click', () => configure({ seed: (app.config.seed + 1) % LIMITS.seed }));
  $('clear').addEventListener('click', () => command({ type: 'clear_points' }, true));
  $('eraser').addEventListener('change', () => { plot.eraser = $('eraser').checked; $('plot').classList.toggle('eraser', plot.eraser); });
  $('add-test').addEventListener('change', () => { plot.addTest = $('add-test').checked; });
  // Points travel as CSV in one format, read and written by the server.
  const sessionUrl = (path) => `/api/sessions/${encodeURIComponent(app.sessionId)}/${path}`;
  $('csv-download').addEventListener('click', async () => {
    if (!app.sessionId) return;
    const r = await fetch(sessionUrl('points.csv'));
    if (r.ok) download('points.csv', await r.text(), 'text/csv');
    else note(`CSV download failed: ${(await r.json()).detail}`);
  });
  $('csv-upload').addEventListener('change', async (ev) => {
    const file = ev.target.files[0];
    ev.target.value = '';
    if (!file || !app.sessionId) return;
    const r = await fetch(sessionUrl('points/csv'), {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: await file.text() }),
    });
    const body = await r.json();
    if (!r.ok) { note(`CSV upload failed: ${body.detail}`); return; }
    app.custom = true;
    applyState(body.state);
  });

  return { refreshThumbnails, markPreset, renderClassPicker };
}
