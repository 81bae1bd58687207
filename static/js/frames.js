// Frames as the views take them, from either wire form: a JSON `frame` message (its maps
// deflated and base64-encoded), or a binary message (see docs/protocol.md, "Binary
// frames": a key frame carries every map, the frames after it only what changed; decoded in a
// worker). Both give {frame, maps}: `frame` with plain params/gradients arrays, `maps`
// with every map's bytes at its own size (`offsets`, `sizes`; `focus` is the neuron shown
// at full resolution). Parts a binary frame leaves out while training (metrics,
// population, gradients) are carried over from the last frame that had them.

import { FrameDecoder } from './framedecode.js';
import { decodeMaps } from './maps.js';

let carried = { metrics: null, population: null, gradients: null };
let chain = Promise.resolve();
let onMissingKey = () => {};

// Forget what was carried over (a new session).
export function resetFrames() {
  carried = { metrics: null, population: null, gradients: null };
  local.reset();
  worker?.postMessage({ reset: true });
}

// Decode every frame as it arrives (a later one may need this one's maps): frames are
// decoded one after another, in order, whether or not they are drawn.
export function decodeFrame(msg) {
  const job = chain.then(() => decodeOne(msg));
  chain = job.catch(() => null);
  return job;
}

async function decodeOne(msg) {
  if (msg.binary) return decodeBinary(msg.binary);
  const maps = await decodeMaps(msg.maps);
  const n = maps.count;
  maps.sizes = Array(n).fill(maps.size);
  maps.offsets = Array.from({ length: n }, (_, m) => m * maps.size);
  maps.focus = null;
  carried = { metrics: msg.metrics, population: msg.population, gradients: msg.gradients };
  return { frame: msg, maps };
}

// Binary frames are decoded in a worker (framedecode.js), off the main thread; in the page
// itself when no worker can start.
const local = new FrameDecoder();
const waiting = new Map();  // request id → {resolve, reject}
let nextId = 0;
let worker = startWorker();

function startWorker() {
  if (typeof Worker === 'undefined') return null;
  try {
    const w = new Worker(new URL('./framesworker.js', import.meta.url), { type: 'module' });
    w.onmessage = ({ data }) => {
      const job = waiting.get(data.id);
      waiting.delete(data.id);
      if (!job) return;
      if (data.error === undefined) { job.resolve(data.result); return; }
      const err = new Error(data.error);
      err.missingKey = data.missingKey;
      job.reject(err);
    };
    w.onerror = (ev) => {  // it could not start: decode here from now on
      ev.preventDefault?.();
      worker = null;
      w.terminate();
      for (const job of waiting.values()) job.reject(new Error('the frame decoder stopped'));
      waiting.clear();
    };
    return w;
  } catch {
    return null;
  }
}

function decodeElsewhere(buffer) {
  if (!worker) return local.decode(buffer);
  return new Promise((resolve, reject) => {
    const id = nextId++;
    waiting.set(id, { resolve, reject });
    worker.postMessage({ id, buffer }, [buffer]);
  });
}

async function decodeBinary(buffer) {
  let decoded;
  try {
    decoded = await decodeElsewhere(buffer);
  } catch (err) {
    if (err.missingKey) onMissingKey();
    throw err;
  }
  const { head, params, maps, dead } = decoded;
  let gradients = decoded.gradients ?? carried.gradients;
  if (gradients && !sameShape(gradients, params)) gradients = null;
  if (head.metrics !== undefined) carried.metrics = head.metrics;
  if (head.population !== undefined) carried.population = head.population;
  carried.gradients = gradients;
  const frame = {
    ...head, params, gradients, metrics: carried.metrics, population: carried.population, dead,
  };
  delete frame.maps;
  delete frame.shapes;
  return { frame, maps };
}

function sameShape(a, b) {
  return a.length === b.length && a.every((l, i) => l.W.length === b[i].W.length && l.b.length === b[i].b.length);
}

// What the page looks at, told to the server with a `view` command whenever it changes:
// one command in flight at a time, the newest wish wins. `send(command)` resolves to true
// when the server took it.
export class FrameView {
  constructor(send) {
    this.send = send;
    this.want = { size: 0, neuron: null, gradients: false };
    this.sent = null;
    this.busy = false;
    // A frame came whose key frame this page never got (it was dropped on the way): the
    // view, told again, starts afresh with a key frame.
    onMissingKey = () => { this.reset(); this.flush(); };
  }

  set(changes) {
    Object.assign(this.want, changes);
    this.flush();
  }

  // A new connection: tell it again.
  reset() {
    this.sent = null;
  }

  async flush() {
    if (this.busy || !this.want.size) return;
    const key = JSON.stringify(this.want);
    if (key === this.sent) return;
    this.busy = true;
    let ok = false;
    try {
      ok = await this.send({ type: 'view', ...this.want });
    } finally {
      this.busy = false;
    }
    if (ok) {
      this.sent = key;
      this.flush();  // a newer wish may have come meanwhile
    }
  }
}
