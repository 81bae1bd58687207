// Glue: the socket's messages feed the views; the controls send commands. The views take
// plain data and never reach into each other.

import { CLASS_COLORS } from './colors.js';
import { LossChart, RocChart } from './charts.js';
import { formatNumber } from './format.js';
import { LESSONS, Lessons } from './lessons.js';
import { decodeMaps } from './maps.js';
import { renderMetrics } from './metrics.js';
import { Diagram } from './network.js';
import { Plot } from './plot.js';
import { Socket } from './socket.js';
import { VIEW_DEFAULTS, decodePoints, encodePoints, fromHash, toHash } from './state.js';
import { parseTfpLink } from './tfp.js';

const $ = (id) => document.getElementById(id);
const DEFAULTS = JSON.parse($('defaults').textContent);
const URL_POINTS_MAX = 300;
const REBUILDS = ['features', 'normalize', 'hidden', 'loss', 'seed'];

// Instrumentation the browser tests read: frames received and drawn, draw times.
const stats = { received: 0, drawn: 0, drawMs: [], decodeMs: [] };
window.playground = { stats };

const app = {
  state: null,          // the session's state (config, kind, sizes, …)
  config: { ...DEFAULTS },
  view: { ...VIEW_DEFAULTS },
  points: { x: [], y: [], test: [], version: -1 },
  custom: false,        // points edited by hand: they travel in the link
  frame: null,
  maps: null,
  pendingHash: fromHash(location.hash),
  hoverNeuron: null,
};
window.playground.app = app;

// --- views ---------------------------------------------------------------------------

const plot = new Plot($('plot'), {
  onAdd: (x, label, test) => command({ type: 'add_point', x, label, test }, true),
  onMove: (index, x) => command({ type: 'move_point', index, x }, true),
  onRemove: (index) => command({ type: 'remove_point', index }, true),
});

const diagram = new Diagram($('diagram'), {
  toggleFeature: (name, on) => {
    const features = app.config.features.filter((f) => f !== name);
    if (on) features.push(name);
    if (!features.length) { note('A network needs at least one input feature.'); return; }
    configure({ features });
  },
  setUnits: (layer, units) => {
    const hidden = app.config.hidden.map((h, i) => (i === layer ? { ...h, units } : h));
    configure({ hidden });
  },
  setActivation: (layer, activation) => {
    const hidden = app.config.hidden.map((h, i) => (i === layer ? { ...h, activation } : h));
    configure({ hidden });
  },
  editParam: openEditor,
  hover: (index) => {
    app.hoverNeuron = index;
    plot.neuron = index;
    redrawPlot();
  },
});

const lessons = new Lessons({
  root: $('lesson'),
  chart: $('lesson-chart'),
  config: () => app.config,
  command: (cmd) => command(cmd),
  configure: (changes) => configure(changes),
  setView: (view) => { Object.assign(app.view, view); applyView(); },
});
window.playground.lessons = lessons;

const lossChart = new LossChart($('loss-chart'));
const rocChart = new RocChart($('roc-chart'));

// --- the connection --------------------------------------------------------------------

const socket = new Socket({ onMessage: receive, onStatus: (s) => setStatus(s) });

function receive(msg) {
  switch (msg.type) {
    case 'hello': onHello(msg); break;
    case 'frame': onFrame(msg); break;
    case 'points': onPoints(msg); break;
    case 'state': applyState(msg.state); break;
    case 'error':
      if (msg.id === undefined) note(msg.message);
      break;
    default: break;
  }
}

async function command(cmd, edits = false) {
  try {
    const reply = await socket.send(cmd);
    if (edits) { app.custom = true; updateHash(); }
    if (reply.state) applyState(reply.state);
    return reply;
  } catch (err) {
    note(err.message);
    return null;
  }
}

async function configure(changes) {
  const reply = await command({ type: 'config', changes });
  if (!reply) { applyState(app.state); return null; }  // put the controls back
  const c = reply.changes;
  if (c.regenerated) app.custom = false;
  if (c.rebuilt) {
    note(`The network was rebuilt with fresh weights (changed: ${c.keys.filter((k) => REBUILDS.includes(k) || k === 'dataset').join(', ') || 'problem type'}).`);
    lossChart.reset([]);
  }
  updateHash();
  return reply;
}

async function onHello(msg) {
  const fresh = !app.state || app.sessionId !== msg.session;
  // A new session after the old one ended: set it up as this page's link says.
  if (fresh && app.state && !app.pendingHash) app.pendingHash = fromHash(location.hash);
  app.sessionId = msg.session;
  applyState(msg.state);
  lossChart.reset(msg.history);
  if (fresh && app.pendingHash) {
    const { config, view, points } = app.pendingHash;
    app.pendingHash = null;
    Object.assign(app.view, view);
    applyView();
    if (Object.keys(config).length) await configure(config);
    if (points) {
      const pts = decodePoints(points, app.state.inputs);
      const reply = await command({ type: 'set_points', ...pts });
      if (reply) app.custom = true;
    }
    // A bare lesson link loads the lesson's own state; a full link already carries it.
    if (app.view.lesson) await openLesson(app.view.lesson, Object.keys(config).length === 0);
    updateHash();
  }
  refreshThumbnails();
}

function onPoints(msg) {
  app.points = msg;
  plot.setPoints({ x: msg.x, y: msg.y, test: msg.test });
  const nTest = msg.test.filter(Boolean).length;
  $('point-count').textContent = `${msg.x.length - nTest} training · ${nTest} test points`;
  $('point-count').dataset.count = String(msg.x.length);
  redrawPlot();
  if (app.custom) updateHash();
}

// Frames are decoded as they arrive and drawn in order. If the page falls far behind (a
// long pause of the main thread), the oldest undrawn frames are skipped.
const MAX_BACKLOG = 8;
const backlog = [];
let draining = false;
async function onFrame(frame) {
  stats.received++;
  backlog.push({ frame, maps: decodeMaps(frame.maps).catch(() => null), t0: performance.now() });
  if (backlog.length > MAX_BACKLOG) backlog.shift();
  if (draining) return;
  draining = true;
  try {
    while (backlog.length) {
      const job = backlog[0];
      const maps = await job.maps;
      if (backlog[0] !== job) continue;  // skipped while it was decoding
      backlog.shift();
      if (!maps) continue;
      const t1 = performance.now();
      draw(job.frame, maps);
      stats.drawMs.push(performance.now() - t1);
      stats.decodeMs.push(t1 - job.t0);
      if (stats.drawMs.length > 2000) { stats.drawMs.splice(0, 1000); stats.decodeMs.splice(0, 1000); }
      stats.drawn++;
    }
  } finally {
    draining = false;
  }
}

function draw(frame, maps) {
  app.frame = frame;
  app.maps = maps;
  plot.setOutput(maps, frame.line);
  redrawPlot();
  diagram.update(frame, maps, { discretize: app.view.discretize, threshold: app.config.threshold });
  $('epoch').textContent = frame.epoch.toLocaleString('en-US', { minimumIntegerDigits: 6, useGrouping: true });
  $('epoch').dataset.epoch = String(frame.epoch);
  $('epoch').dataset.step = String(frame.step);
  const lt = frame.loss.train, ls = frame.loss.test;
  $('loss-values').textContent = `train ${formatNumber(lt)} · test ${formatNumber(ls)}`;
  $('loss-values').dataset.train = lt === null ? '' : String(lt);
  lossChart.push(frame.epoch, lt, ls);
  setStatus(frame.status, frame.message);
  drawMetrics();
  lessons.onFrame(frame);
}

function redrawPlot() {
  plot.showTest = app.view.showTest;
  plot.discretize = app.view.discretize;
  plot.threshold = app.config.threshold;
  plot.paintBackground();
  plot.draw();
}

function drawMetrics() {
  const f = app.frame;
  if (!f) return;
  const set = $('metrics-set').value;
  renderMetrics($('metrics'), f.metrics, set, app.config.threshold);
  const m = f.metrics[set];
  if (f.metrics.kind === 'binary' && m) {
    rocChart.set(m.roc, { fpr: m.fpr, tpr: m.recall });
  }
}

// --- state → controls ------------------------------------------------------------------

const CONTROLS = {
  lr: 'float', method: 'string', momentum: 'float', beta1: 'float', beta2: 'float',
  population: 'int', sigma: 'float', elite: 'int', crossover: 'bool', batch_size: 'int',
  loss: 'string', regularization: 'string', regularization_rate: 'float', normalize: 'bool',
  speed: 'int', classes: 'int', train_ratio: 'float', noise: 'float', points: 'int',
  threshold: 'float', resolution: 'int',
};

function applyState(state) {
  if (!state) return;
  const shapeChanged = !app.state || JSON.stringify(app.state.sizes) !== JSON.stringify(state.sizes);
  const thumbsStale = app.state && (app.state.config.noise !== state.config.noise || app.state.config.classes !== state.config.classes);
  app.state = state;
  app.config = state.config;
  for (const [key, type] of Object.entries(CONTROLS)) {
    const el = $(key);
    if (!el || document.activeElement === el) continue;
    if (type === 'bool') el.checked = !!state.config[key];
    else el.value = String(state.config[key]);
    const out = $(`${key}-out`);
    if (out) out.textContent = String(state.config[key]);
  }
  $('threshold-out').textContent = Number(state.config.threshold).toFixed(2);
  for (const el of document.querySelectorAll('.opt')) {
    const m = state.config.method;
    const show = el.classList.contains(`opt-${m}`) || (el.classList.contains('opt-gradient') && m !== 'evolution');
    el.classList.toggle('hidden', !show);
  }
  $('lr').disabled = state.config.method === 'evolution';
  $('loss').disabled = state.kind === 'regression';
  const binary = state.kind === 'binary';
  document.querySelector('.threshold-row').classList.toggle('hidden', !binary);
  $('roc-chart').classList.toggle('hidden', !binary);
  $('classes').closest('label').classList.toggle('hidden', state.kind !== 'multiclass');
  plot.setProblem({ domain: state.domain, kind: state.kind, classes: state.classes, inputs: state.inputs });
  diagram.render({
    features: state.config.features, inputs: state.inputs, hidden: state.config.hidden,
    outputs: state.sizes[state.sizes.length - 1], kind: state.kind, domain: state.domain,
  });
  $('layer-count').textContent = `${state.config.hidden.length} hidden layer${state.config.hidden.length === 1 ? '' : 's'}`;
  $('add-layer').disabled = state.config.hidden.length >= 8;
  $('remove-layer').disabled = state.config.hidden.length === 0;
  renderClassPicker(state);
  markPreset(state.config.dataset);
  setPlaying(state.status === 'training');
  if (shapeChanged && app.hoverNeuron !== null) { app.hoverNeuron = null; plot.neuron = null; }
  setStatus(state.status, state.message);
  updateHash();
  if (thumbsStale) refreshThumbnails();  // the presets follow the noise and class count
}

function applyView() {
  $('show-test').checked = app.view.showTest;
  $('discretize').checked = app.view.discretize;
  $('show-gradients').checked = app.view.gradients;
  $('log-scale').checked = app.view.log;
  diagram.showGradients = app.view.gradients;
  lossChart.setLog(app.view.log);
  redrawPlot();
}

function updateHash() {
  if (!app.state || app.pendingHash) return;
  const pts = app.custom && app.points.x.length <= URL_POINTS_MAX ? encodePoints(app.points) : null;
  const hash = toHash(app.config, DEFAULTS, app.view, pts);
  history.replaceState(null, '', hash ? `#${hash}` : location.pathname);
}

let playing = false;
function setPlaying(on) {
  playing = on;
  // Charts redraw once a second while training, so frames are not held up by them.
  lossChart.interval = rocChart.interval = on ? 1000 : 250;
  const b = $('play');
  b.classList.toggle('playing', on);
  b.textContent = on ? '❚❚' : '▶';
  b.setAttribute('aria-label', on ? 'Pause' : 'Play');
}

function setStatus(status, message = '') {
  const el = $('status');
  const text = {
    connecting: 'connecting…', reconnecting: 'connection lost — reconnecting…',
    idle: 'connected · paused', training: 'training', diverged: `diverged: ${message}`,
  }[status] ?? status;
  el.textContent = text;
  el.className = `status ${status === 'idle' ? 'connected' : status}`;
  el.dataset.status = status;
  $('diverged-reset').classList.toggle('hidden', status !== 'diverged');
  if (status === 'training' || status === 'idle' || status === 'diverged') setPlaying(status === 'training');
}

let noteTimer = null;
function note(text) {
  const el = $('rebuild-note');
  el.textContent = text;
  clearTimeout(noteTimer);
  noteTimer = setTimeout(() => { el.textContent = ''; }, 6000);
}

// --- data panel ------------------------------------------------------------------------

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

function pointsCsv() {
  const p = app.points;
  const header = app.state.inputs === 1 ? 'x1,label,test' : 'x1,x2,label,test';
  return [header, ...p.x.map((x, i) => [...x, p.y[i], p.test[i] ? 1 : 0].join(','))].join('\n') + '\n';
}

function parseCsv(text, inputs) {
  const lines = text.split(/\r?\n/).filter((l) => l.trim());
  const x = [], y = [], test = [];
  lines.forEach((line, n) => {
    const parts = line.split(',').map((s) => s.trim());
    if (n === 0 && isNaN(Number(parts[0]))) return;  // header
    const vals = parts.map(Number);
    if (vals.length < inputs + 1 || vals.slice(0, inputs + 1).some((v) => !Number.isFinite(v))) {
      throw new Error(`CSV line ${n + 1}: expected ${inputs} coordinate(s) and a label`);
    }
    x.push(vals.slice(0, inputs)); y.push(vals[inputs]); test.push(vals[inputs + 1] === 1);
  });
  return { x, y, test };
}

function download(name, text, type) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([text], { type }));
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

// --- the weight editor -------------------------------------------------------------------

let editing = null;
function openEditor({ layer, kind, index, value, x, y }) {
  editing = { layer, kind, index };
  const ed = $('editor');
  $('editor-label').textContent = kind === 'weight' ? `Weight w${index[0] + 1}→${index[1] + 1} (layer ${layer + 1})` : `Bias b${index[0] + 1} (layer ${layer + 1})`;
  $('editor-input').value = Number(value).toFixed(4);
  ed.style.left = `${Math.min(x, window.innerWidth - 260)}px`;
  ed.style.top = `${Math.min(y + 8, window.innerHeight - 50)}px`;
  ed.classList.remove('hidden');
  $('editor-input').focus();
  $('editor-input').select();
}

async function commitEditor() {
  if (!editing) return;
  const value = Number($('editor-input').value);
  if (!Number.isFinite(value)) { note('Enter a number.'); return; }
  const e = editing;
  closeEditor();
  await command({ type: 'set_param', layer: e.layer, kind: e.kind, index: e.index, value });
}

function closeEditor() { editing = null; $('editor').classList.add('hidden'); }

// --- wiring --------------------------------------------------------------------------------

function parse(type, el) {
  if (type === 'bool') return el.checked;
  if (type === 'int') return parseInt(el.value, 10);
  if (type === 'float') return parseFloat(el.value);
  return el.value;
}

for (const [key, type] of Object.entries(CONTROLS)) {
  const el = $(key);
  if (!el) continue;
  el.addEventListener('change', () => {
    const v = parse(type, el);
    if (type !== 'string' && type !== 'bool' && !Number.isFinite(v)) { applyState(app.state); return; }
    configure({ [key]: v });
  });
  if (el.type === 'range') {
    el.addEventListener('input', () => { const out = $(`${key}-out`); if (out) out.textContent = el.value; });
  }
}
for (const key of REBUILDS) {
  const el = $(key);
  if (el) el.title = 'Changing this rebuilds the network with fresh weights';
}

$('play').addEventListener('click', () => togglePlay());
$('step').addEventListener('click', () => step());
$('reset').addEventListener('click', () => reset());
$('diverged-reset').addEventListener('click', () => reset());
$('regenerate').addEventListener('click', () => configure({ seed: (app.config.seed + 1) % 2147483647 }));
$('clear').addEventListener('click', () => command({ type: 'clear_points' }, true));
$('eraser').addEventListener('change', () => { plot.eraser = $('eraser').checked; $('plot').classList.toggle('eraser', plot.eraser); });
$('add-test').addEventListener('change', () => { plot.addTest = $('add-test').checked; });
$('add-layer').addEventListener('click', () => {
  const last = app.config.hidden[app.config.hidden.length - 1];
  configure({ hidden: [...app.config.hidden, { units: last ? last.units : 4, activation: last ? last.activation : 'tanh' }] });
});
$('remove-layer').addEventListener('click', () => configure({ hidden: app.config.hidden.slice(0, -1) }));
$('show-test').addEventListener('change', () => { app.view.showTest = $('show-test').checked; redrawPlot(); updateHash(); });
$('discretize').addEventListener('change', () => { app.view.discretize = $('discretize').checked; redrawPlot(); updateHash(); });
$('show-gradients').addEventListener('change', () => {
  app.view.gradients = $('show-gradients').checked;
  diagram.showGradients = app.view.gradients;
  if (app.frame && app.maps) diagram.update(app.frame, app.maps, { discretize: app.view.discretize, threshold: app.config.threshold });
  updateHash();
});
$('log-scale').addEventListener('change', () => { app.view.log = $('log-scale').checked; lossChart.setLog(app.view.log); updateHash(); });
$('metrics-set').addEventListener('change', drawMetrics);
$('csv-download').addEventListener('click', () => download('points.csv', pointsCsv(), 'text/csv'));
$('csv-upload').addEventListener('change', async (ev) => {
  const file = ev.target.files[0];
  ev.target.value = '';
  if (!file) return;
  try {
    const pts = parseCsv(await file.text(), app.state.inputs);
    await command({ type: 'set_points', ...pts }, true);
  } catch (err) { note(err.message); }
});
$('share').addEventListener('click', async () => {
  updateHash();
  try { await navigator.clipboard.writeText(location.href); note('Link copied: it reproduces this data, network and seed.'); } catch { note(location.href); }
});
$('export').addEventListener('click', async () => {
  const reply = await command({ type: 'export' });
  if (reply) download('playground-session.json', JSON.stringify(reply.document, null, 1), 'application/json');
});
$('import').addEventListener('change', async (ev) => {
  const file = ev.target.files[0];
  ev.target.value = '';
  if (!file || !app.sessionId) return;
  const r = await fetch(`/api/sessions/${encodeURIComponent(app.sessionId)}/import`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: await file.text(),
  });
  const body = await r.json();
  if (!r.ok) { note(`Import failed: ${body.detail}`); return; }
  app.custom = true;
  applyState(body.state);
  lossChart.reset(body.history);
  note('Session imported.');
});
$('tfp-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  try {
    const { config, view, ignored } = parseTfpLink($('tfp-url').value.trim());
    Object.assign(app.view, view);
    applyView();
    const reply = await configure(config);
    if (reply) note(`TensorFlow Playground settings loaded${ignored.length ? ` (not available here: ${ignored.join(', ')})` : ''}.`);
  } catch (err) { note(err.message); }
});
$('editor-ok').addEventListener('click', commitEditor);
$('editor-cancel').addEventListener('click', closeEditor);
$('editor-input').addEventListener('keydown', (ev) => {
  if (ev.key === 'Enter') commitEditor();
  if (ev.key === 'Escape') closeEditor();
});

async function togglePlay() {
  const type = playing ? 'pause' : 'play';
  if (await command({ type })) lessons.mirror(type);
}

async function step() {
  if (await command({ type: 'step', epochs: 1 })) lessons.mirror('step');
}

async function reset() {
  if (await command({ type: 'reset' })) lessons.mirror('reset');
  lossChart.reset([]);
}

// --- lessons ---------------------------------------------------------------------------------

for (const l of LESSONS) {
  const o = document.createElement('option');
  o.value = l.id;
  o.textContent = l.title;
  $('lesson-select').appendChild(o);
}

async function openLesson(id, apply = true) {
  app.view.lesson = id;
  $('lesson-select').value = id;
  const i = LESSONS.findIndex((l) => l.id === id);
  $('lesson-prev').disabled = i <= 0;
  $('lesson-next').disabled = i === LESSONS.length - 1;
  if (id) await lessons.open(id, { apply }); else lessons.close();
  lossChart.reset([]);
  updateHash();
}

$('lesson-select').addEventListener('change', () => openLesson($('lesson-select').value));
$('lesson-prev').addEventListener('click', () => {
  const i = LESSONS.findIndex((l) => l.id === app.view.lesson);
  if (i > 0) openLesson(LESSONS[i - 1].id);
});
$('lesson-next').addEventListener('click', () => {
  const i = LESSONS.findIndex((l) => l.id === app.view.lesson);
  openLesson(LESSONS[Math.min(LESSONS.length - 1, i + 1)].id);
});

document.addEventListener('keydown', (ev) => {
  const t = ev.target;
  if (t instanceof HTMLInputElement || t instanceof HTMLSelectElement || t instanceof HTMLTextAreaElement) return;
  if (ev.key === ' ') { ev.preventDefault(); togglePlay(); }
  else if (ev.key === 'ArrowRight') { ev.preventDefault(); step(); }
  else if (ev.key === 'r' && !ev.ctrlKey && !ev.metaKey) { reset(); }
});

applyView();
$('lesson-prev').disabled = true;
socket.connect();
