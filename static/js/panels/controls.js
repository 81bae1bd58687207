// The training bar and the transport: every setting's control sends a config change; play,
// step and reset (buttons and keys); layers; the view toggles.

import { CONFIG_TYPES, DEFAULTS } from '../config.js';

const $ = (id) => document.getElementById(id);

// Every setting that has a control on the page (by id), with its type.
export const CONTROLS = Object.fromEntries(Object.entries(CONFIG_TYPES).filter(([, t]) => ['int', 'float', 'bool', 'string'].includes(t)));

// `hub` holds the page's shared state and glue (see main.js): app, the views, command, configure, …
export function setupControls(hub) {
  const { app, diagram, lessons, lossChart, frameView, command, configure, applyState, updateHash, redrawPlot, drawMetrics, showPlaying, REBUILDS } = hub;

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
  $('add-layer').addEventListener('click', () => {
    const last = app.config.hidden[app.config.hidden.length - 1];
    configure({ hidden: [...app.config.hidden, { units: last ? last.units : 4, activation: last ? last.activation : DEFAULTS.hidden[0].activation }] });
  });
  $('remove-layer').addEventListener('click', () => configure({ hidden: app.config.hidden.slice(0, -1) }));
  $('show-test').addEventListener('change', () => { app.view.showTest = $('show-test').checked; redrawPlot(); updateHash(); });
  $('discretize').addEventListener('change', () => { app.view.discretize = $('discretize').checked; redrawPlot(); updateHash(); });
  $('show-gradients').addEventListener('change', () => {
    app.view.gradients = $('show-gradients').checked;
    diagram.showGradients = app.view.gradients;
    frameView.set({ gradients: app.view.gradients });
    if (app.frame && app.maps) diagram.update(app.frame, app.maps, { discretize: app.view.discretize, threshold: app.config.threshold });
    updateHash();
  });
  $('log-scale').addEventListener('change', () => { app.view.log = $('log-scale').checked; lossChart.setLog(app.view.log); updateHash(); });
  $('metrics-set').addEventListener('change', drawMetrics);

  async function togglePlay() {
    const type = app.playing ? 'pause' : 'play';
    if (!(await command({ type }))) return;
    lessons.mirror(type);
    showPlaying(type === 'play');
  }

  async function step() {
    if (await command({ type: 'step', epochs: 1 })) lessons.mirror('step');
  }

  async function reset() {
    if (await command({ type: 'reset' })) lessons.mirror('reset');
    lossChart.reset([]);
  }

  // The page's shortcuts apply only with nothing focused (the body) or the plot focused: on a
  // control the keys are the control's own (an arrow on a preset or a slider does not step).
  // On the plot the arrows and Enter move its cursor and add points (plot-keys.js).
  document.addEventListener('keydown', (ev) => {
    const t = ev.target;
    const onPlot = t === $('plot');
    if (!(t === document.body || t === document.documentElement || onPlot)) return;
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (ev.key === ' ') { ev.preventDefault(); togglePlay(); }
    else if (ev.key === 'ArrowRight' && !onPlot) { ev.preventDefault(); step(); }
    else if (ev.key === 'r') { reset(); }
  });
}
