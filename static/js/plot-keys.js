// The plot by keyboard: with the plot focused, the arrow keys move a cursor over the data
// (Shift: four times as far), Enter adds a point of the chosen class there, Delete removes
// the point under it, ] and [ jump to the next and previous point, and 0–5 choose the class.
// Each action is announced through a live region.

const STEPS = 48;  // cursor steps across the view

export function attachPlotKeys(plot, { live, onAdd, onRemove, chooseClass, describeLabel }) {
  const canvas = plot.canvas;
  let current = -1;  // the point ] and [ last went to

  const say = (text) => { live.textContent = text; };
  const fmt = (v) => (Math.abs(v) >= 10 ? v.toFixed(0) : v.toFixed(2));
  const yRange = () => plot.yRange();

  function where() {
    const { x, y } = plot.cursor;
    return plot.inputs === 1 ? `x ${fmt(x)}, height ${fmt(y)}` : `(${fmt(x)}, ${fmt(y)})`;
  }

  function pointText(i) {
    const x = plot.points.x[i];
    const at = x.length === 1 ? `x ${fmt(x[0])}` : `(${fmt(x[0])}, ${fmt(x[1])})`;
    return `${describeLabel(plot.points.y[i])} ${plot.points.test[i] ? 'test' : 'training'} point at ${at}`;
  }

  function announceCursor() {
    const i = plot.cursorPoint();
    say(`Cursor at ${where()}${i >= 0 ? `: ${pointText(i)}` : ''}.`);
  }

  function centre() {
    const [x0, x1] = plot.domain[0];
    const [y0, y1] = yRange();
    return { x: (x0 + x1) / 2, y: (y0 + y1) / 2 };
  }

  function show() {
    if (!plot.cursor) plot.cursor = centre();
    plot.draw();
  }

  // The cursor shows on focus by keyboard (Tab), or at the first key after a click.
  canvas.addEventListener('focus', () => {
    if (!canvas.matches(':focus-visible')) return;
    show();
    announceCursor();
  });
  canvas.addEventListener('blur', () => { plot.cursor = null; plot.draw(); });
  canvas.addEventListener('pointerdown', () => { plot.cursor = null; });

  function move(dx, dy, far) {
    const [x0, x1] = plot.domain[0];
    const [y0, y1] = yRange();
    const k = far ? 4 : 1;
    const c = plot.cursor;
    c.x = Math.min(x1, Math.max(x0, c.x + (dx * k * (x1 - x0)) / STEPS));
    c.y = Math.min(y1, Math.max(y0, c.y + (dy * k * (y1 - y0)) / STEPS));
    plot.draw();
    announceCursor();
  }

  function jump(dir) {
    const n = plot.points.x.length;
    const visible = [];
    for (let i = 0; i < n; i++) if (plot.visible(i)) visible.push(i);
    if (!visible.length) { say('There are no points.'); return; }
    const at = visible.indexOf(current);
    current = visible[at < 0 ? (dir > 0 ? 0 : visible.length - 1) : (at + dir + visible.length) % visible.length];
    const [px, py] = plot.pointPx(current);
    const [x, y] = plot.fromPx(px, py);
    plot.cursor = { x, y };
    plot.draw();
    say(`${pointText(current)}.`);
  }

  canvas.addEventListener('keydown', (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (!plot.cursor) show();
    const arrows = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };
    if (ev.key in arrows) {
      ev.preventDefault();
      move(...arrows[ev.key], ev.shiftKey);
    } else if (ev.key === 'Enter') {
      ev.preventDefault();
      const { x, y } = plot.cursor;
      const label = plot.labelAt(y, ev.shiftKey);
      onAdd(plot.inputs === 1 ? [x] : [x, y], label, plot.addTest);
      say(`Added a ${describeLabel(label)} ${plot.addTest ? 'test' : 'training'} point at ${where()}.`);
    } else if (ev.key === 'Delete' || ev.key === 'Backspace') {
      ev.preventDefault();
      const i = plot.cursorPoint();
      if (i < 0) { say('No point under the cursor to remove.'); return; }
      const text = pointText(i);
      onRemove(i);
      current = -1;
      say(`Removed the ${text}.`);
    } else if (ev.key === ']' || ev.key === '[') {
      ev.preventDefault();
      jump(ev.key === ']' ? 1 : -1);
    } else if (/^[0-9]$/.test(ev.key)) {
      const chosen = chooseClass(Number(ev.key));
      if (chosen !== null) say(`New points: ${chosen}.`);
    }
  });

  return { announce: say };
}
