// The page's state: the session's flat config plus view options, and its URL form.
// Every key has a type (from the server's definitions, see config.js); the hash holds only what differs from the defaults, so a link is
// short and reproduces data, network and seed exactly.

import { CHOICES, CONFIG_TYPES, DEFAULTS } from './config.js';

export { CONFIG_TYPES };

export const VIEW_DEFAULTS = { showTest: false, discretize: false, gradients: false, log: false, lesson: '' };
const VIEW_TYPES = { showTest: 'bool', discretize: 'bool', gradients: 'bool', log: 'bool', lesson: 'string' };

function encodeValue(type, v) {
  switch (type) {
    case 'list': return v.join(',');
    case 'layers': return v.length ? v.map((l) => `${l.units}:${l.activation}`).join(',') : '-';
    case 'bool': return v ? '1' : '0';
    default: return String(v);
  }
}

function decodeValue(type, s) {
  switch (type) {
    case 'int': { const v = Number(s); return Number.isInteger(v) ? v : undefined; }
    case 'float': { const v = Number(s); return Number.isFinite(v) ? v : undefined; }
    case 'bool': return s === '1' || s === 'true' ? true : s === '0' || s === 'false' ? false : undefined;
    case 'list': return s ? s.split(',') : [];
    case 'layers': {
      if (s === '-' || s === '') return [];
      const layers = s.split(',').map((part) => {
        const [units, activation] = part.split(':');
        return { units: Number(units), activation: activation || DEFAULTS.hidden[0]?.activation || CHOICES.activation[0] };
      });
      return layers.every((l) => Number.isInteger(l.units)) ? layers : undefined;
    }
    default: return s;
  }
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

// Points the user placed travel in the link too: "x,y,label,t;..." (t = test point).
export function encodePoints(points) {
  return points.x.map((x, i) => [...x.map((v) => +v.toFixed(2)), points.y[i], points.test[i] ? 1 : 0].join(',')).join(';');
}

// Rows that cannot be read are left out and counted in `skipped`.
export function decodePoints(s, inputs) {
  const x = [], y = [], test = [];
  let skipped = 0;
  for (const row of s.split(';')) {
    if (!row) continue;
    const parts = row.split(',').map(Number);
    if (parts.length !== inputs + 2 || parts.some((v) => !Number.isFinite(v))) { skipped++; continue; }
    x.push(parts.slice(0, inputs)); y.push(parts[inputs]); test.push(parts[inputs + 1] === 1);
  }
  return { x, y, test, skipped };
}

export function toHash(config, defaults, view, points) {
  const parts = [];
  for (const [key, type] of Object.entries(CONFIG_TYPES)) {
    if (key in config && !same(config[key], defaults[key])) {
      parts.push(`${key}=${encodeURIComponent(encodeValue(type, config[key]))}`);
    }
  }
  for (const [key, type] of Object.entries(VIEW_TYPES)) {
    if (view[key] !== VIEW_DEFAULTS[key]) parts.push(`${key}=${encodeValue(type, view[key])}`);
  }
  if (points) parts.push(`pts=${encodeURIComponent(points)}`);
  return parts.join('&');
}

// A link's state. A part that cannot be read (an unknown key, a value of the wrong type,
// bad escapes) is skipped alone and named in `skipped`; the rest still applies.
export function fromHash(hash) {
  const config = {}, view = {}, skipped = [];
  let points = null;
  for (const part of hash.replace(/^#/, '').split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq);
    let raw;
    try { raw = decodeURIComponent(part.slice(eq + 1)); } catch { raw = undefined; }
    let v;
    if (eq < 0 || raw === undefined) v = undefined;
    else if (key in CONFIG_TYPES) v = decodeValue(CONFIG_TYPES[key], raw);
    else if (key in VIEW_TYPES) v = decodeValue(VIEW_TYPES[key], raw);
    else if (key === 'pts') v = raw;
    if (v === undefined) { skipped.push(safeKey(key)); continue; }
    if (key in CONFIG_TYPES) config[key] = v;
    else if (key in VIEW_TYPES) view[key] = v;
    else points = v;
  }
  return { config, view, points, skipped };
}

function safeKey(key) {
  let k;
  try { k = decodeURIComponent(key); } catch { k = key; }
  return k.slice(0, 40);
}
