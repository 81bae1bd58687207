// The connection: one WebSocket, reconnected with backoff, commands answered by id. It also
// keeps the session: a copy of its export, refreshed while it changes, so that when the
// server no longer knows the session (a restart, an expiry, a worker lost) the page
// re-creates it from that copy, weights and counters included, instead of starting over.

const KEEP_EVERY_MS = 1000;  // how often a changing session's copy may be refreshed
// ...and no more bytes a second than this on average: the copy grows with the loss history
// (to a few hundred KiB), and refreshing it every second would cost more than the frames.
const KEEP_BYTES_PER_S = 8192;

export class Socket {
  constructor({ onMessage, onStatus }) {
    this.onMessage = onMessage;
    this.onStatus = onStatus;
    this.sessionId = null;
    this.pending = new Map();  // id -> {resolve, reject}
    this.nextId = 1;
    this.delay = 500;
    this.ws = null;
    this.closedByUs = false;
    this.kept = null;  // the session's last export document
    this.changed = false;  // something happened since that copy was taken
    this.playing = false;  // the session was training at the last look
    this.restored = null;  // {epoch}: the session was just re-created from the copy
    this.keepAfter = 0;  // the copy is not refreshed before this time (performance.now())
    this.keeper = setInterval(() => this.keep(), KEEP_EVERY_MS);
  }

  url() {
    const proto = location.protocol === 'https:' ? 'wss' : 'ws';
    const q = this.sessionId ? `?session=${encodeURIComponent(this.sessionId)}` : '';
    return `${proto}://${location.host}/ws${q}`;
  }

  connect() {
    this.onStatus(this.sessionId ? 'reconnecting' : 'connecting');
    const ws = new WebSocket(this.url());
    this.ws = ws;
    let opened = false;
    ws.onopen = () => { opened = true; this.delay = 500; };
    ws.binaryType = 'arraybuffer';  // binary messages are frames (frames.js decodes them)
    ws.onmessage = (ev) => this.receive(typeof ev.data === 'string' ? JSON.parse(ev.data) : { type: 'frame', binary: ev.data });
    ws.onclose = async (ev) => {
      for (const { reject } of this.pending.values()) reject(new Error('connection lost'));
      this.pending.clear();
      if (this.closedByUs) return;
      this.onStatus('reconnecting');
      if (!opened) this.explainRefusal();
      if (ev.code === 1008 && /session/.test(ev.reason)) await this.restore();  // it ended
      setTimeout(() => this.connect(), this.delay);
      this.delay = Math.min(this.delay * 2, 5000);
    };
  }

  // A refused handshake is a bare HTTP error to a page: ask the server why, in words that
  // name the setting to change.
  async explainRefusal() {
    try {
      const r = await fetch(`connection-check?origin=${encodeURIComponent(location.origin)}`);
      const reason = r.ok ? (await r.json()).reason : await r.text();
      if (reason && (!this.ws || this.ws.readyState !== WebSocket.OPEN)) {
        this.onStatus('refused', reason);
      }
    } catch { /* the server is unreachable: reconnecting says it */ }
  }

  // The server no longer knows the session: re-create it from the copy (over HTTP: the
  // copy may be larger than a socket message), or else start a new one.
  async restore() {
    this.sessionId = null;
    if (!this.kept) return;
    try {
      const r = await fetch('api/sessions/import', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(this.kept),
      });
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      const made = await r.json();
      this.sessionId = made.id;
      this.restored = { epoch: made.state.epoch, play: this.playing };
      this.delay = 0;  // connect to it at once
    } catch (err) {
      this.kept = null;  // the copy is refused or the server is away: a new session
    }
  }

  receive(msg) {
    if (msg.type === 'hello') {
      const fresh = this.sessionId !== msg.session;
      this.sessionId = msg.session;
      this.keepAfter = 0;  // a copy of the session as it is now comes soon
      if (this.restored) {
        msg.restored = this.restored;  // the page says so, and plays on if it was playing
        this.restored = null;
        if (msg.restored.play) this.send({ type: 'play' }).catch(() => {});
      } else if (fresh) {
        this.kept = null;  // another session: the copy was of the old one
      }
      this.changed = true;
    } else if (msg.command !== 'export') {
      this.changed = true;
    }
    if (msg.type === 'frame' && !msg.binary) this.playing = msg.status === 'training';  // binary: the page sets it
    if (msg.state?.status) this.playing = msg.state.status === 'training';
    if (msg.id !== undefined && this.pending.has(msg.id)) {
      const { resolve, reject } = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      if (msg.type === 'error') reject(new Error(msg.message)); else resolve(msg);
    }
    this.onMessage(msg);
  }

  // Refresh the copy of the session, if it changed since the last one.
  async keep() {
    if (!this.changed || !this.ws || this.ws.readyState !== WebSocket.OPEN) return;
    if (performance.now() < this.keepAfter) return;
    this.changed = false;
    const session = this.sessionId;
    try {
      const reply = await this.send({ type: 'export' });
      if (this.sessionId === session) this.kept = reply.document;
      const bytes = JSON.stringify(reply.document).length;
      this.keepAfter = performance.now() + (1000 * bytes) / KEEP_BYTES_PER_S;
    } catch (err) {
      this.changed = true;  // try again next time
    }
  }

  close() {
    this.closedByUs = true;
    clearInterval(this.keeper);
    if (this.ws) this.ws.close(1000);
  }

  // Send a command; resolves with its reply, rejects with the server's error message.
  send(command) {
    return new Promise((resolve, reject) => {
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN) {
        reject(new Error('not connected'));
        return;
      }
      const id = this.nextId++;
      this.pending.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ ...command, id }));
    });
  }
}
