// TensorFlow Playground links: playground.tensorflow.org/#activation=tanh&batchSize=10&…
// become the same settings here (TFP trains with squared error, on 500 points). The tables
// below translate TFP's names to ours; what is valid here comes from the server's config.

import { CHOICES, DEFAULTS, LIMITS } from './config.js';

const DATASETS = { circle: 'circle', xor: 'xor', gauss: 'gauss', spiral: 'spiral' };
const REG_DATASETS = { 'reg-plane': 'plane', 'reg-gauss': 'gaussians' };
const FEATURES = { x: 'x1', y: 'x2', xSquared: 'x1_sq', ySquared: 'x2_sq', xTimesY: 'x1_x2', sinX: 'sin_x1', sinY: 'sin_x2' };
const REGULARIZATION = { L1: 'l1', L2: 'l2', none: 'none' };

// A seed string → a 31-bit integer (TFP seeds are strings like "0.27347").
function seedNumber(s) {
  let h = 2166136261;
  for (const c of s) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  return (h >>> 0) % LIMITS.seed;
}

export function parseTfpLink(url) {
  let hash;
  try {
    const u = new URL(url);
    if (!/(^|\.)playground\.tensorflow\.org$/.test(u.hostname)) throw new Error();
    hash = u.hash.replace(/^#/, '');
  } catch {
    throw new Error('Paste a link that starts with https://playground.tensorflow.org/#');
  }
  const p = Object.fromEntries(hash.split('&').filter(Boolean).map((kv) => {
    const i = kv.indexOf('=');
    return i < 0 ? [kv, ''] : [kv.slice(0, i), decodeURIComponent(kv.slice(i + 1))];
  }));
  const config = { loss: 'mse', points: 500 };
  const view = {};
  const regression = p.problem === 'regression';
  if (regression && p.regDataset in REG_DATASETS) config.dataset = REG_DATASETS[p.regDataset];
  else if (!regression && p.dataset in DATASETS) config.dataset = DATASETS[p.dataset];
  const activation = CHOICES.activation.includes(p.activation) ? p.activation : DEFAULTS.hidden[0].activation;
  if (p.networkShape !== undefined) {
    const units = p.networkShape === '' ? [] : p.networkShape.split(',').map(Number);
    if (units.every((u) => Number.isInteger(u) && u >= 1 && u <= LIMITS.units) && units.length <= LIMITS.hidden_layers) {
      config.hidden = units.map((u) => ({ units: u, activation }));
    }
  }
  const num = (k) => (p[k] !== undefined && Number.isFinite(Number(p[k])) ? Number(p[k]) : undefined);
  if (num('learningRate') !== undefined) config.lr = num('learningRate');
  if (p.regularization in REGULARIZATION) config.regularization = REGULARIZATION[p.regularization];
  if (num('regularizationRate') !== undefined) config.regularization_rate = num('regularizationRate');
  if (num('batchSize') !== undefined) config.batch_size = num('batchSize');
  if (num('noise') !== undefined) config.noise = num('noise') / 100;
  if (num('percTrainData') !== undefined) config.train_ratio = num('percTrainData') / 100;
  if (p.seed) config.seed = seedNumber(p.seed);
  const features = Object.entries(FEATURES).filter(([k]) => p[k] === 'true').map(([, v]) => v);
  if (features.length) config.features = features;
  if (p.showTestData !== undefined) view.showTest = p.showTestData === 'true';
  if (p.discretize !== undefined) view.discretize = p.discretize === 'true';
  const ignored = ['cosX', 'cosY'].filter((k) => p[k] === 'true');
  return { config, view, ignored };
}
