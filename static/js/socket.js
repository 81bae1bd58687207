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
    ws.onopen = () => { this.delay = 500; };
    ws.binaryType = 'arraybuffer';  // binary messages are frames (frames.js decodes them)
    ws.onmessage = (ev) => this.receive(typeof ev.data === 'string' ? JSON.parse(ev.data) : { type: 'frame', binary: ev.data });
    ws.onclose = (ev) => {
      for (const { reject } of this.pending.values()) reject(new Error('connection lost'));
      this.pending.clear();
      if (this.closedByUs) return;
      if (ev.code === 1008 && /session/.test(ev.reason)) this.sessionId = null;  // it ended
      this.onStatus('reconnecting');
      setTimeout(() => this.connect(), this.delay);
      this.delay = Math.min(this.delay * 2, 5000);
    };
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
