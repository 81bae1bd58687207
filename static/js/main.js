// Glue: the socket's messages are routed to the views; the panels (panels/*.js) send
// commands through `command` and `configure`. The views take plain data and never reach into
// each other.

import { LossChart, RocChart } from './charts.js';
import { DATASETS, DEFAULTS, LIMITS, SETTINGS, buildControls } from './config.js';
import { formatNumber } from './format.js';
import { FrameView, decodeFrame, resetFrames } from './frames.js';
import { HiddenView } from './hidden.js';
import { HistoryView } from './history.js';
import { renderLegend } from './legend.js';
import { Lessons } from './lessons/index.js';
import { renderMetrics } from './metrics.js';
import { Diagram } from './network.js';
import { markBeyondTfp } from './tfp.js';
import { Plot } from './plot.js';
import { attachPlotKeys } from './plot-keys.js';
import { Socket } from './socket.js';
import { SpeedMeter } from './speed.js';
import { VIEW_DEFAULTS, fromHash } from './state.js';
import { CONTROLS, setupControls } from './panels/controls.js';
import { setupData } from './panels/data.js';
import { setupEditor } from './panels/editor.js';
import { setupFiles } from './panels/files.js';
import { setupLessonMenu } from './panels/lesson-menu.js';
import { setupLinkState } from './panels/link-state.js';

const $ = (id) => document.getElementById(id);
buildControls();
// The losses by the names people know them by (the select keeps the wire names as values).
const LOSS_NAMES = { cross_entropy: 'Cross-entropy', mse: 'Squared error' };
for (const o of $('loss').options) o.textContent = LOSS_NAMES[o.value] ?? o.value;
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
  hash: null,           // the hash this page last wrote (an edit by hand differs from it)
};
window.playground.app = app;

// --- views ---------------------------------------------------------------------------

const plot = new Plot($('plot'), {
  onAdd: (x, label, test) => command({ type: 'add_point', x, label, test }, true),
  onMove: (index, x) => command({ type: 'move_point', index, x }, true),
  onRemove: (index) => command({ type: 'remove_point', index }, true),
});
attachPlotKeys(plot, {
  live: $('plot-live'),
  onAdd: (x, label, test) => command({ type: 'add_point', x, label, test }, true),
  onRemove: (index) => command({ type: 'remove_point', index }, true),
  chooseClass: (k) => dataPanel.chooseClass(k),
  describeLabel: (label) => (app.state && app.state.kind === 'regression' ? `target ${label}` : `class ${label}`),
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
let live = null;  // the last live frame drawn or held back while the page shows the past
const timeline = new HistoryView({
  bar: $('history-bar'), slider: $('history'), out: $('history-out'), now: $('history-now'), branch: $('history-branch'),
  send: (cmd) => socket.send(cmd),
  show: (frame, maps) => { showNetwork(frame, maps); lossChart.setMarker(frame.epoch, frame.loss.train, frame.loss.test); },
  leave: () => { lossChart.setMarker(null); if (live) showNetwork(live.frame, live.maps); },
  branched: async (reply) => {
    generation++;  // frames from before the branch are not drawn
    latest = null;
    lossChart.setMarker(null);
    lossChart.reset(reply.history);
    applyState(reply.state);
    if (await command({ type: 'play' })) showPlaying(true);
  },
});
window.playground.history = timeline;
// Commands the page may send while it shows the past: they change nothing, or (config) only
// settings, after which the past is drawn again (a rebuild starts the history afresh).
const KEEP_PAST = new Set(['export', 'get_state', 'get_history', 'get_surface', 'hidden', 'get_past', 'config']);
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

async function command(cmd, edits = false, quiet = false) {
  if (timeline.looking && !KEEP_PAST.has(cmd.type)) timeline.backToNow();  // Play, a change: the present
  try {
    const reply = await socket.send(cmd);
    if (edits) { app.custom = true; markData(); updateHash(); }
    if (reply.state) applyState(reply.state);
    return reply;
  } catch (err) {
    if (!quiet) note(err.message);
    else app.lastError = err.message;
    return null;
  }
}

async function configure(changes, quiet = false) {
  const reply = await command({ type: 'config', changes }, false, quiet);
  if (!reply) { applyState(app.state); return null; }  // put the controls back
  const c = reply.changes;
  if (c.rebuilt) timeline.backToNow(); else timeline.refresh();
  if (c.regenerated) { app.custom = false; markData(); }
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
  live = null;
  timeline.reset();
  lossChart.setMarker(null);
  applyState(msg.state);
  frameView.flush();
  lossChart.reset(msg.history);
  if (fresh && app.pendingHash) {
    const link = app.pendingHash;
    app.pendingHash = null;
    await linkState.applyLink({ ...link, fresh: true }, link.config);
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

// A live frame: the network is drawn unless the page shows the past (History).
function draw(frame, maps) {
  live = { frame, maps };
  timeline.live(frame.epoch);
  if (!timeline.looking) showNetwork(frame, maps);
  $('epoch').textContent = EPOCH_FORMAT.format(frame.epoch);
  $('epoch').dataset.epoch = String(frame.epoch);
  $('epoch').dataset.step = String(frame.step);
  speedMeter.frame(frame.epoch, frame.status);
  lossChart.push(frame.epoch, frame.loss.train, frame.loss.test);
  setStatus(frame.status, frame.message);
  lessons.onFrame(frame);
  hiddenView.refresh();
}

// The network of a frame, live or past: the output plot, the diagram, the loss and metrics.
function showNetwork(frame, maps) {
  app.frame = frame;
  app.maps = maps;
  plot.setOutput(maps, frame.line);
  redrawPlot();
  diagram.update(frame, maps, { discretize: app.view.discretize, threshold: app.config.threshold });
  const lt = frame.loss.train, ls = frame.loss.test;
  $('loss-values').textContent = `train ${formatNumber(lt)} · test ${formatNumber(ls)}`;
  $('loss-values').dataset.train = lt === null ? '' : String(lt);
  // The quality panel is rebuilt only when what it shows changed (frames carry metrics over).
  const metricsKey = [frame.metrics, $('metrics-set').value, app.config.threshold];
  if (!drawnMetrics || metricsKey.some((v, i) => v !== drawnMetrics[i])) { drawnMetrics = metricsKey; drawMetrics(); }
}

let drawnMetrics = null;

function redrawPlot() {
  plot.showTest = app.view.showTest;
  plot.discretize = app.view.discretize;
  plot.threshold = app.config.threshold;
  plot.tanhOutput = app.config.profile === 'tfp';
  if (app.state) renderLegend($('plot-legend'), { kind: app.state.kind, classes: app.state.classes, scale: plot.valueScale() });
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
  // Regression always uses the squared error: the disabled select says so.
  const regression = state.kind === 'regression';
  $('loss').disabled = regression;
  if (regression && document.activeElement !== $('loss')) $('loss').value = 'mse';
  $('loss-name').textContent = LOSS_NAMES[regression ? 'mse' : state.config.loss].toLowerCase();
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
  timeline.setAvailable(state.config.profile !== 'tfp', 'History is not available under the tfp profile');
  timeline.live(state.epoch);
  dataPanel.renderClassPicker(state);
  markData();
  setPlaying(state.status === 'training');
  if (shapeChanged && app.hoverNeuron !== null) { app.hoverNeuron = null; plot.neuron = null; }
  setStatus(state.status, state.message);
  markBeyondTfp(state.beyond_tfp);
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

function updateHash() { linkState.updateHash(); }

// The preset stays marked while the points are its own (not after Clear all or edits), and a
// dataset that needs normalized inputs says so while Normalize is off.
function markData() {
  if (!app.state) return;
  dataPanel.markPreset(app.custom ? '' : app.config.dataset);
  const needs = (DATASETS[app.config.dataset] || {}).normalize && !app.config.normalize && app.config.profile !== 'tfp';
  $('normalize-hint').classList.toggle('hidden', !needs);
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
  // The status's box is narrow: a divergence's reason is also said in full under the diagram.
  if (status === 'diverged' && el.dataset.status !== 'diverged' && message) note(`Diverged: ${message}`);
  el.title = text;
  el.dataset.status = status;
  $('diverged-reset').classList.toggle('hidden', status !== 'diverged');
  if (status === 'training' || status === 'idle' || status === 'diverged') setPlaying(status === 'training');
}

// A message under the diagram for a few seconds, with an action button if given.
let noteTimer = null;
function note(text, action = null) {
  const el = $('rebuild-note');
  el.replaceChildren(text);
  if (action) {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = action.label;
    b.addEventListener('click', action.run);
    el.append(' ', b);
  }
  el.title = text;
  clearTimeout(noteTimer);
  noteTimer = setTimeout(() => { el.replaceChildren(); el.title = ''; }, action ? 15000 : 6000);
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
  markData, linkTooShort: () => linkState.linkTooShort(),
};
const linkState = setupLinkState(hub);
const dataPanel = setupData(hub);
const editor = setupEditor(hub);
hub.lessonMenu = setupLessonMenu(hub);
setupControls(hub);
hub.filesPanel = setupFiles(hub);

applyView();
socket.connect();
