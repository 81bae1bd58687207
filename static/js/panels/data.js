// The data panel: preset thumbnails, the class picker, regenerate / clear / eraser, and the
// points as CSV (read and written by the server).

import { CLASS_COLORS, valueColor } from '../colors.js';
import { DATASETS, LIMITS } from '../config.js';
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
      b.addEventListener('click', () => choosePreset(d.name));
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
      ctx.fillStyle = d.kind === 'regression' ? valueColor(label) : CLASS_COLORS[label];
      ctx.fillRect(px - 1, py - 1, 2.5, 2.5);
    });
  }

  // A preset's points (drawn anew if the current dataset's were edited by hand), with
  // Normalize turned on for data that need it.
  function choosePreset(name) {
    const changes = { dataset: name };
    if (DATASETS[name] && DATASETS[name].normalize && !app.config.normalize && app.config.profile !== 'tfp') changes.normalize = true;
    if (name === app.config.dataset && app.custom) changes.data_seed = nextDataSeed();
    return configure(changes);
  }

  const nextDataSeed = () => (app.config.data_seed + 1) % LIMITS.seed;

  function markPreset(name) {
    for (const b of document.querySelectorAll('.preset')) b.setAttribute('aria-checked', String(b.dataset.name === name));
  }

  // The class a click (or Enter on the plot) adds: one button per class, numbered.
  function renderClassPicker(state) {
    const root = $('class-picker');
    const regression = state.kind === 'regression';
    $('target-picker').classList.toggle('hidden', !regression);
    root.classList.toggle('hidden', regression || state.inputs === 1);
    $('draw-hint').textContent = regression
      ? 'Click the plot to add a point with the target above; drag to move; right-click to remove.'
      : state.inputs === 1
        ? 'Click above the middle line to add a class 1 point, below it a class 0 point; drag to move; right-click to remove.'
        : 'Click the plot to add a point of the chosen class (shift-click: the next class); drag to move; right-click to remove. Keyboard: focus the plot, then arrows, Enter, Delete, 0–5.';
    const labels = regression ? [] : Array.from({ length: state.classes || 2 }, (_, k) => k);
    if (root.dataset.key === JSON.stringify(labels)) return;
    root.dataset.key = JSON.stringify(labels);
    root.replaceChildren();
    labels.forEach((label) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.setAttribute('role', 'radio');
      b.setAttribute('aria-label', `Class ${label}`);
      b.textContent = String(label);
      b.style.background = CLASS_COLORS[label];
      b.addEventListener('click', () => chooseClass(label));
      root.appendChild(b);
    });
    chooseClass(Math.min(plot.selectedClass, labels.length - 1) || 0);
  }

  // Returns the class's name, or null if there is no such class.
  function chooseClass(label) {
    const buttons = [...$('class-picker').children];
    if (!buttons[label] || app.state.kind === 'regression' || app.state.inputs === 1) return null;
    buttons.forEach((o, k) => o.setAttribute('aria-checked', String(k === label)));
    plot.selectedClass = label;
    return `class ${label}`;
  }

  // The Target of regression points: a slider and a number kept together, its colour shown.
  function setTarget(v) {
    plot.target = v;
    $('target').value = String(v);
    $('target-value').value = String(v);
    $('target-swatch').style.background = valueColor(v, plot.valueScale());
  }
  $('target').addEventListener('input', () => setTarget(Number($('target').value)));
  $('target-value').addEventListener('change', () => {
    const v = Number($('target-value').value);
    if ($('target-value').value.trim() === '' || !Number.isFinite(v) || Math.abs(v) > 1e6) {
      note('A target is a number within ±1e6.');
      setTarget(plot.target);
      return;
    }
    setTarget(v);
  });
  setTarget(0);

  // New points, the same network (under the tfp profile, whose data and weights come from one
  // stream, a new seed draws both).
  $('regenerate').addEventListener('click', async () => {
    const tfp = app.config.profile === 'tfp';
    const reply = await configure(tfp ? { seed: (app.config.seed + 1) % LIMITS.seed } : { data_seed: nextDataSeed() });
    if (reply && !reply.changes.rebuilt) note('New points; the network keeps its weights (Reset for new ones).');
  });
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

  return { refreshThumbnails, markPreset, renderClassPicker, chooseClass };
}
