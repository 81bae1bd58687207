// The diagram by keyboard. The diagram is one stop in the Tab order (the item last visited);
// inside it the arrow keys move between nodes and links:
//   ↑ ↓        the node above or below; on a link, the link to the next node at its far end
//   → / ←      from a node, its outgoing / incoming links; from a link, the node it goes to /
//              comes from
//   Home End   the first or last in the column (or of the links being stepped through)
//   Enter, Space   an input switches on or off; a link's weight or a neuron's bias is edited
//              as a click does
// The focused link is outlined on the canvas; a read-out beside the item (a live region)
// says what it is and its weight (or bias) and gradient. A focused neuron shows its map on the
// plot, as hovering it does.

const REFRESH_MS = 1000;  // while training, the read-out's numbers follow at most this often

export class DiagramKeys {
  // diagram: the Diagram (its nodes, links, activeRows, params, edit, cb.hover)
  constructor(diagram) {
    this.d = diagram;
    this.cursor = { kind: 'node', c: 0, r: 0 };
    this.readout = null;
    this.shownAt = 0;
  }

  // After a layout: every item out of the Tab order but the cursor's, the read-out made,
  // keys taken; focus put back where it was when the diagram had it.
  attach(root, hadFocus) {
    this.readout = document.createElement('div');
    this.readout.className = 'diagram-readout hidden';
    this.readout.setAttribute('role', 'status');
    root.appendChild(this.readout);
    for (const col of this.d.nodes) for (const n of col) n.el.tabIndex = -1;
    if (!this.valid(this.cursor)) this.cursor = { kind: 'node', c: 0, r: 0 };
    if (!root.dataset.keys) {
      root.dataset.keys = 'on';
      root.addEventListener('keydown', (ev) => this.key(ev));
      root.addEventListener('focusin', (ev) => this.focused(ev.target));
      root.addEventListener('focusout', (ev) => {
        if (!root.contains(ev.relatedTarget)) this.left();
      });
    }
    this.current = null;
    this.place(hadFocus ? 'focus' : 'tab');
  }

  valid(c) {
    const cols = this.d.nodes;
    if (c.kind === 'node') return c.c < cols.length && c.r < cols[c.c].length;
    return !!this.link(c);
  }

  link({ layer, i, j }) {
    return this.d.links.list.find((l) => l.layer === layer && l.i === i && l.j === j) ?? null;
  }

  // The element standing for the cursor.
  element(c = this.cursor) {
    if (c.kind === 'node') return this.d.nodes[c.c][c.r].el;
    return this.link(c).path;
  }

  // Move the cursor's tab stop (and focus, when asked) to its element.
  place(how) {
    const old = this.current;
    if (old && old !== this.element() && old.isConnected) {
      old.tabIndex = -1;
      if (old.classList.contains('link')) {
        old.classList.remove('current');
        old.removeAttribute('tabindex');
        old.removeAttribute('role');
        old.removeAttribute('aria-label');
      }
    }
    const el = this.element();
    this.current = el;
    if (this.cursor.kind === 'link') {
      const { layer, i, j } = this.cursor;
      el.classList.add('current');
      el.setAttribute('role', 'button');
      el.setAttribute('aria-label', `Weight w${i + 1}→${j + 1} (layer ${layer + 1})`);
    }
    el.tabIndex = 0;
    if (how === 'focus') el.focus({ preventScroll: false });
  }

  // Something in the diagram took focus (a click, Tab, or a move).
  focused(target) {
    const found = this.find(target);
    if (!found) { this.hideReadout(); return; }
    this.cursor = found;
    if (this.element() !== this.current) this.place('tab');
    const node = this.cursor.kind === 'node' ? this.d.nodes[this.cursor.c][this.cursor.r] : null;
    this.d.cb.hover(node && node.map !== null && node.map !== undefined ? node.map : null);
    this.d.links.focused = this.cursor.kind === 'link' ? this.link(this.cursor) : null;
    this.d.links.draw();
    // The read-out is for the keyboard: a click on a node shows none.
    if (this.element().matches(':focus-visible')) this.show(true); else this.hideReadout();
  }

  left() {
    this.hideReadout();
    if (this.d.links.focused) { this.d.links.focused = null; this.d.links.draw(); }
    const c = this.cursor;
    if (c.kind === 'node' && this.d.nodes[c.c]?.[c.r]?.map !== undefined) this.d.cb.hover(null);
  }

  find(el) {
    const cols = this.d.nodes;
    for (let c = 0; c < cols.length; c++) {
      const r = cols[c].findIndex((n) => n.el === el);
      if (r >= 0) return { kind: 'node', c, r };
    }
    if (el.classList?.contains('link') && el === this.current) return this.cursor;
    return null;
  }

  // The link index of node row r of column c as a link's source (inputs: only active ones).
  sourceIndex(c, r) {
    return c === 0 ? this.d.activeRows.indexOf(r) : r;
  }

  sourceRow(c, i) {
    return c === 0 ? this.d.activeRows[i] : i;
  }

  key(ev) {
    if (ev.target.closest('.layer-head')) {
      // Buttons and selects keep their own keys, and those are not the page's shortcuts.
      if ([' ', 'Enter'].includes(ev.key) || ev.key.startsWith('Arrow')) ev.stopPropagation();
      return;
    }
    if (!this.find(ev.target)) return;
    const moves = {
      ArrowUp: () => this.step(-1), ArrowDown: () => this.step(1),
      ArrowRight: () => this.across(1), ArrowLeft: () => this.across(-1),
      Home: () => this.step(-Infinity), End: () => this.step(Infinity),
      Enter: () => this.activate(), ' ': () => this.activate(),
    };
    const move = moves[ev.key];
    if (!move || ev.altKey || ev.ctrlKey || ev.metaKey) return;
    ev.preventDefault();
    ev.stopPropagation();  // not the page's shortcuts (Space plays, → steps)
    move();
  }

  go(cursor) {
    if (!this.valid(cursor)) return;
    this.cursor = cursor;
    this.place('focus');
  }

  step(by) {
    const c = this.cursor;
    const clamp = (v, n) => Math.max(0, Math.min(n - 1, v));
    if (c.kind === 'node') {
      this.go({ ...c, r: clamp(c.r + by, this.d.nodes[c.c].length) });
    } else if (c.from === 'out') {
      this.go({ ...c, j: clamp(c.j + by, this.d.nodes[c.layer + 1].length) });
    } else {
      const n = c.layer === 0 ? this.d.activeRows.length : this.d.nodes[c.layer].length;
      this.go({ ...c, i: clamp(c.i + by, n) });
    }
  }

  across(dir) {
    const c = this.cursor;
    const cols = this.d.nodes;
    if (c.kind === 'link') {
      if (dir > 0) this.go({ kind: 'node', c: c.layer + 1, r: c.j });
      else this.go({ kind: 'node', c: c.layer, r: this.sourceRow(c.layer, c.i) });
      return;
    }
    const near = (r, from, to) => (to <= 1 ? 0 : Math.round((r * (to - 1)) / Math.max(1, from - 1)));
    if (dir > 0) {
      if (c.c >= cols.length - 1) return;
      const i = this.sourceIndex(c.c, c.r);
      const next = cols[c.c + 1].length;
      if (i < 0) { this.go({ kind: 'node', c: c.c + 1, r: near(c.r, cols[c.c].length, next) }); return; }
      this.go({ kind: 'link', from: 'out', layer: c.c, i, j: near(c.r, cols[c.c].length, next) });
    } else {
      if (c.c === 0) return;
      const sources = c.c === 1 ? this.d.activeRows : cols[c.c - 1].map((_, r) => r);
      if (!sources.length) return;
      const row = near(c.r, cols[c.c].length, cols[c.c - 1].length);
      let i = 0;
      sources.forEach((r, k) => { if (Math.abs(r - row) < Math.abs(sources[i] - row)) i = k; });
      this.go({ kind: 'link', from: 'in', layer: c.c - 1, i, j: c.r });
    }
  }

  // Enter or Space: what a click does.
  activate() {
    const c = this.cursor;
    const el = this.element();
    const r = el.getBoundingClientRect();
    let at = { clientX: r.left + r.width / 2, clientY: r.bottom };
    if (c.kind === 'link') {
      const l = this.link(c);
      const box = this.d.links.svg.getBoundingClientRect();
      at = { clientX: box.left + (l.x0 + l.x1) / 2, clientY: box.top + (l.y0 + l.y1) / 2 };
      this.d.edit(at, c.layer, 'weight', [c.i, c.j]);
    } else if (c.c === 0) {
      el.click();
    } else {
      this.d.edit(at, c.c - 1, 'bias', [c.r]);
    }
  }

  // What the cursor is, and its value now.
  describe() {
    const c = this.cursor;
    const d = this.d;
    const num = (v) => (v === undefined || v === null ? '–' : Number(v).toFixed(4));
    const grad = (g) => (g === undefined || g === null ? '' : `, gradient ${Number(g).toExponential(3)}`);
    if (c.kind === 'link') {
      const w = d.params?.[c.layer]?.W[c.i]?.[c.j];
      const g = d.gradients?.[c.layer]?.W[c.i]?.[c.j];
      return `Weight w${c.i + 1}→${c.j + 1} (layer ${c.layer + 1}) = ${num(w)}${grad(g)} · Enter edits it`;
    }
    const node = d.nodes[c.c][c.r];
    if (c.c === 0) return `${node.el.getAttribute('aria-label')}: ${node.on ? 'on' : 'off'} · Enter switches it`;
    const b = d.params?.[c.c - 1]?.b[c.r];
    const g = d.gradients?.[c.c - 1]?.b[c.r];
    const shown = node.map !== null ? ', its map on the plot' : '';
    return `${node.el.getAttribute('aria-label')}${shown}: bias ${num(b)}${grad(g)} · Enter edits it`;
  }

  // The read-out beside the focused item, kept inside the diagram.
  show(now) {
    const out = this.readout;
    if (!out || !out.isConnected || !this.d.root.contains(document.activeElement)) return;
    const t = performance.now();
    if (!now && t - this.shownAt < REFRESH_MS) return;
    this.shownAt = t;
    const text = this.describe();
    if (out.textContent !== text) out.textContent = text;
    out.classList.remove('hidden');
    const c = this.cursor;
    const size = this.d.size;
    let x, y;
    if (c.kind === 'link') {
      const l = this.link(c);
      x = (l.x0 + l.x1) / 2 + 8;
      y = (l.y0 + l.y1) / 2 + 8;
    } else {
      const el = this.element();
      x = el.offsetLeft + size + 6;
      y = el.offsetTop + size / 2;
    }
    const width = this.d.root.scrollWidth;
    const height = this.d.root.clientHeight;
    out.style.left = `${Math.max(0, Math.min(x, width - out.offsetWidth - 2))}px`;
    out.style.top = `${Math.max(0, Math.min(y, height - out.offsetHeight - 2))}px`;
  }

  hideReadout() {
    this.readout?.classList.add('hidden');
  }

  // A frame: the read-out's numbers follow (at once unless training).
  frame(training) {
    if (this.readout && !this.readout.classList.contains('hidden')) this.show(!training);
  }
}
