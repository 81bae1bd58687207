// The server's definition of every setting ({defaults, limits, choices, methods, settings}),
// embedded in the page: the controls, their bounds and the URL state's types come from it.

const CONFIG = JSON.parse(document.getElementById('config').textContent);

export const DEFAULTS = CONFIG.defaults;
export const LIMITS = CONFIG.limits;
export const CHOICES = CONFIG.choices;
export const METHODS = CONFIG.methods;
export const DATASETS = CONFIG.datasets;  // name → {kind, inputs, normalize}
export const SETTINGS = Object.fromEntries(CONFIG.settings.map((s) => [s.key, s]));

const URL_TYPES = { int: 'int', float: 'float', bool: 'bool', choice: 'string', text: 'string', features: 'list', layers: 'layers' };
export const CONFIG_TYPES = Object.fromEntries(CONFIG.settings.map((s) => [s.key, URL_TYPES[s.kind]]));

// The keys whose controls the page builds in the training bar, one per method setting.
export const METHOD_KEYS = CONFIG.settings.filter((s) => s.methods && s.key !== 'lr').map((s) => s.key);

function option(value, text) {
  const o = document.createElement('option');
  o.value = String(value);
  o.textContent = text;
  return o;
}

const SPEED_TEXT = (v) => (v === 0 ? 'As fast as possible' : v === 1 ? '1 epoch/frame' : String(v));

// Fill the selects and set the bounds of the inputs from the definitions.
export function buildControls(doc = document) {
  for (const s of CONFIG.settings) {
    const el = doc.getElementById(s.key);
    if (!el) continue;
    if (el.tagName === 'SELECT') {
      const values = s.choices ?? s.presets ?? [];
      el.replaceChildren(...values.map((v) => option(v, s.key === 'speed' ? SPEED_TEXT(v) : String(v))));
    } else if (el.type === 'range' && s.slider) {
      [el.min, el.max, el.step] = s.slider.map(String);
    }
  }
  const root = doc.getElementById('method-settings');
  if (!root) return;
  root.replaceChildren();
  for (const key of METHOD_KEYS) {
    const s = SETTINGS[key];
    const label = doc.createElement('label');
    const classes = s.methods.map((m) => `opt-${m}`);
    label.className = `opt ${classes.join(' ')}${s.kind === 'bool' ? ' check' : ''}`;
    const input = doc.createElement('input');
    input.id = key;
    input.setAttribute('aria-label', s.label);
    if (s.kind === 'bool') {
      input.type = 'checkbox';
      label.append(input, ` ${s.label}`);
    } else {
      input.type = 'number';
      input.min = String(s.lo);
      input.max = String(s.hi);
      input.step = s.step === undefined ? 'any' : String(s.step);
      label.append(`${s.label} `, input);
    }
    root.appendChild(label);
  }
}
