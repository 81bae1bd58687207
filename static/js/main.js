// Glue: the socket's messages are routed to the views; the panels (panels/*.js) send
// commands through `command` and `configure`. The views take plain data and never reach into
// each other.

import { LossChart, RocChart } from './charts.js';
import { DEFAULTS, LIMITS, SETTINGS, buildControls } from './config.js';
import { formatNumber } from './format.js';
import { FrameView, decodeFrame, resetFrames } from './frames.js';
import { HiddenView } from './hidden.js';
import { Lessons } from './lessons/index.js';
import { renderMetrics } from './metrics.js';
import { Diagram } from './network.js';
import { Plot } from './plot.js';
import { Socket } from './socket.js';
import { SpeedMeter } from './speed.js';
import { VIEW_DEFAULTS, decodePoints, encodePoints, fromHash, toHash } from './state.js';
import { CONTROLS, setupControls } from './panels/controls.js';
import { setupData } from './panels/data.js';
import { setupEditor } from './panels/editor.js';
import { setupFiles } from './panels/files.js';
import { setupLessonMenu } from './panels/lesson-menu.js';

const $ = (id) => document.getElementById(id);
buildControls();
const URL_POINTS_MAX = 300;
const REBUILDS = Object.keys(SETTINGS).filter((k) => ['rebuild', 'reseed'].includes(SETTINGS[k].effect));

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
  editParam: (param) => editor.openEditor(param),
  drawnSize: (size) => frameView.set({ size }),
  hover: (index) => {
    frameView.set({ neuron: index });
    app.hoverNeuron = index;
    plot.neuron = index;
    redrawPlot();
  },
});

const lessons = new Lessons({
  root: $('lesson'),
  chart: $('lesson-chart'),
  config: () => app.config,
  points: () => app.points,
  resetChart: () => lossChart.reset([]),
  command: (cmd) => command(cmd),
  configure: (changes) => configure(changes),
  setView: (view) => { Object.assign(app.view, view); applyView(); },
});
window.playground.diagram = diagram;
window.playground.lessons = lessons;

const speedMeter = new SpeedMeter($('speed'), $('epoch-rate'));
const lossChart = new LossChart($('loss-chart'));
const rocChart = new RocChart($('roc-chart'));

// --- the connection --------------------------------------------------------------------

const socket = new Socket({ onMessage: receive, onStatus: (s, m) => setStatus(s, m) });
window.playground.socket = socket;
const frameView = new FrameView((cmd) => socket.send(cmd).then(() => true, () => false));
const hiddenView = new HiddenView({
  toggle: $('hidden-space'), select: $('hidden-layer'), canvas: $('hidden-canvas'), note: $('hidden-note'),
  send: (cmd) => socket.send(cmd),
  onToggle: (open) => $('plot').classList.toggle('hidden', open),
  showTest: () => $('show-test').checked,
});
window.playground.hidden = hiddenView;
$('show-test').addEventListener('change', () => hiddenView.redraw());

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
  if (msg.restored) note(`The server restarted or lost your session — it was restored at epoch ${msg.restored.epoch}.`);
  // A new session after the old one ended: set it up as this page's link says.
  if (fresh && app.state && !app.pendingHash && !msg.restored) app.pendingHash = fromHash(location.hash);
  app.sessionId = msg.session;
  resetFrames();
  frameView.reset();
  applyState(msg.state);
  frameView.flush();
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
    if (app.view.lesson) await lessonMenu.openLesson(app.view.lesson, Object.keys(config).length === 0);
    updateHash();
  }
  dataPanel.refreshThumbnails();
}

function onPoints(msg) {
  app.points = msg;
  plot.setPoints({ x: msg.x, y: msg.y, test: msg.test });
  const nTest = msg.test.filter(Boolean).length;
  $('point-count').textContent = `${msg.x.length - nTest} training · ${nTest} test points`;
  $('point-count').dataset.count = String(msg.x.length);
  redrawPlot();
  hiddenView.refresh();
  if (app.custom) updateHash();
}

// Frames are decoded in order as they arrive (a frame may need the one before it). A frame is
// drawn at once unless one was drawn since the last animation frame; then it waits for the
// next, where only the newest waiting is drawn. Frames that come faster than the page paints
// are skipped, never queued.
let latest = null;      // the newest decoded frame waiting for the next animation frame
let drewSincePaint = false;
let rafAsked = false;
let generation = 0;     // frames received before Play or Pause took effect are not drawn
function onFrame(msg) {
  stats.received++;
  const t0 = performance.now();
  const gen = generation;
  decodeFrame(msg).then((decoded) => {
    if (gen !== generation) return;
    if (drewSincePaint) { latest = { ...decoded, t0 }; askFrame(); } else drawFrame({ ...decoded, t0 });
  }, () => {});
}

function askFrame() {
  if (rafAsked) return;
  rafAsked = true;
  requestAnimationFrame(() => {
    rafAsked = false;
    drewSincePaint = false;
    const job = latest;
    latest = null;
    if (job) drawFrame(job);
  });
}

function drawFrame(job) {
  drewSincePaint = true;
  askFrame();
  const t1 = performance.now();
  draw(job.frame, job.maps);
  stats.drawMs.push(performance.now() - t1);
  stats.decodeMs.push(t1 - job.t0);
  if (stats.drawMs.length > 2000) { stats.drawMs.splice(0, 1000); stats.decodeMs.splice(0, 1000); }
  stats.drawn++;
}

const EPOCH_FORMAT = new Intl.NumberFormat('en-US', { minimumIntegerDigits: 6, useGrouping: true });
function draw(frame, maps) {
  app.frame = frame;
  app.maps = maps;
  plot.setOutput(maps, frame.line);
  redrawPlot();
  diagram.update(frame, maps, { discretize: app.view.discretize, threshold: app.config.threshold });
  $('epoch').textContent = EPOCH_FORMAT.format(frame.epoch);
  $('epoch').dataset.epoch = String(frame.epoch);
  $('epoch').dataset.step = String(frame.step);
  speedMeter.frame(frame.epoch, frame.status);
  const lt = frame.loss.train, ls = frame.loss.test;
  $('loss-values').textContent = `train ${formatNumber(lt)} · test ${formatNumber(ls)}`;
  $('loss-values').dataset.train = lt === null ? '' : String(lt);
  lossChart.push(frame.epoch, lt, ls);
  setStatus(frame.status, frame.message);
  // The quality panel is rebuilt only when what it shows changed (frames carry metrics over).
  const metricsKey = [frame.metrics, $('metrics-set').value, app.config.threshold];
  if (!drawnMetrics || metricsKey.some((v, i) => v !== drawnMetrics[i])) { drawnMetrics = metricsKey; drawMetrics(); }
  lessons.onFrame(frame);
  hiddenView.refresh();
}

let drawnMetrics = null;

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

function applyState(state) {
  if (!state) return;
  const shapeChanged = !app.state || JSON.stringify(app.state.sizes) !== JSON.stringify(state.sizes);
  const thumbsStale = app.state && (app.state.config.noise !== state.config.noise || app.state.config.classes !== state.config.classes);
  app.state = state;
  app.config = state.config;
  speedMeter.setFps(state.config.fps);
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
    const show = el.classList.contains(`opt-${m}`);
    el.classList.toggle('hidden', !show);
  }
  $('lr').disabled = !SETTINGS.lr.methods.includes(state.config.method);
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
  $('add-layer').disabled = state.config.hidden.length >= LIMITS.hidden_layers;
  $('remove-layer').disabled = state.config.hidden.length === 0;
  hiddenView.setNetwork(state.sizes.slice(1, -1), state.kind);
  dataPanel.renderClassPicker(state);
  dataPanel.markPreset(state.config.dataset);
  setPlaying(state.status === 'training');
  if (shapeChanged && app.hoverNeuron !== null) { app.hoverNeuron = null; plot.neuron = null; }
  setStatus(state.status, state.message);
  updateHash();
  if (thumbsStale) dataPanel.refreshThumbnails();  // the presets follow the noise and class count
}

function applyView() {
  $('show-test').checked = app.view.showTest;
  $('discretize').checked = app.view.discretize;
  $('show-gradients').checked = app.view.gradients;
  $('log-scale').checked = app.view.log;
  diagram.showGradients = app.view.gradients;
  frameView.set({ gradients: app.view.gradients });
  lossChart.setLog(app.view.log);
  redrawPlot();
}

function updateHash() {
  if (!app.state || app.pendingHash) return;
  const pts = app.custom && app.points.x.length <= URL_POINTS_MAX ? encodePoints(app.points) : null;
  const hash = toHash(app.config, DEFAULTS, app.view, pts);
  history.replaceState(null, '', hash ? `#${hash}` : location.pathname);
}

function setPlaying(on) {
  app.playing = on;
  socket.playing = on;  // what a restored session resumes
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
    refused: `cannot connect: ${message}`,
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

// --- the panels --------------------------------------------------------------------------

// Play or pause shown at once, on the server's reply: a frame received before it (older) is
// not drawn over it.
function showPlaying(on) {
  generation++;
  latest = null;
  setPlaying(on);
}

const hub = {
  app, plot, diagram, lessons, lossChart, rocChart, frameView, REBUILDS,
  command, configure, note, applyState, applyView, updateHash, redrawPlot, drawMetrics, showPlaying,
};
const dataPanel = setupData(hub);
const editor = setupEditor(hub);
const lessonMenu = setupLessonMenu(hub);
setupControls(hub);
setupFiles(hub);

applyView();
socket.connect();
