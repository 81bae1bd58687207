// The speed control in both units: each choice of epochs per frame also says what it comes to
// per second at the session's frame rate, and a read-out shows the epochs per second measured
// from the frames drawn (what training really achieves, whatever the choice).

const WINDOW_MS = 1000;

export class SpeedMeter {
  constructor(select, readout) {
    this.select = select;
    this.readout = readout;
    this.fps = null;
    this.samples = [];  // [time, epoch] over the last WINDOW_MS
  }

  setFps(fps) {
    if (fps === this.fps) return;
    this.fps = fps;
    for (const o of this.select.options) {
      const n = Number(o.value);
      if (n > 0) o.textContent = `${n} epoch${n > 1 ? 's' : ''}/frame · ${n * fps}/s`;
    }
  }

  // Every frame drawn: its epoch and status.
  frame(epoch, status) {
    const now = performance.now();
    if (status !== 'training') {
      this.samples = [];
      this.show(null);
      return;
    }
    const last = this.samples[this.samples.length - 1];
    if (last && epoch < last[1]) this.samples = [];  // reset
    this.samples.push([now, epoch]);
    while (this.samples.length > 2 && now - this.samples[0][0] > WINDOW_MS) this.samples.shift();
    const [t0, e0] = this.samples[0];
    if (now - t0 >= 200) this.show(((epoch - e0) * 1000) / (now - t0));
  }

  show(rate) {
    const text = rate === null ? '' : `${rate >= 100 ? Math.round(rate).toLocaleString('en-US') : rate.toFixed(1)} epochs/s`;
    if (this.readout.textContent !== text) this.readout.textContent = text;
    this.readout.dataset.rate = rate === null ? '' : String(rate);
  }
}
