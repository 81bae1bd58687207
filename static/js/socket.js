// The connection: one WebSocket, reconnected with backoff, commands answered by id.

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
    ws.onmessage = (ev) => this.receive(JSON.parse(ev.data));
    ws.onclose = (ev) => {
      for (const { reject } of this.pending.values()) reject(new Error('connection lost'));
      this.pending.clear();
      if (this.closedByUs) return;
      if (ev.code === 1008 && /session/.test(ev.reason)) this.sessionId = null;  // it ended
      this.onStatus('reconnecting');
      if (!opened) this.explainRefusal();
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

  receive(msg) {
    if (msg.type === 'hello') this.sessionId = msg.session;
    if (msg.id !== undefined && this.pending.has(msg.id)) {
      const { resolve, reject } = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      if (msg.type === 'error') reject(new Error(msg.message)); else resolve(msg);
    }
    this.onMessage(msg);
  }

  close() {
    this.closedByUs = true;
    if (this.ws) this.ws.close();
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
