// History: a timeline slider over the training so far. Moving it asks the server for the
// network as it was at that epoch (`get_past`, a JSON frame built from a parameter snapshot)
// and hands it to the page to draw in place of the live frames, which keep arriving and are
// decoded as usual but not shown, until "Back to now". "Train from here" sets the session back
// to that epoch (`branch`) and trains on from there.
//
// A past frame is decoded here, on its own: it never passes through the live decoder
// (frames.js), whose key and delta state belong to the live stream.

import { decodeMaps } from './maps.js';

const LIVE_RENDER_MS = 200;  // live frames move the slider's end at most 5 times a second

export class HistoryView {
  // `send(cmd)` sends a command and resolves with its reply. `show(frame, maps, reply)` draws a
  // past frame; `leave()` goes back to the live view; `branched(reply)` takes the reply to
  // `branch` (state, history) and goes on training.
  constructor({ bar, slider, out, now, branch, send, show, leave, branched }) {
    this.bar = bar;
    this.slider = slider;
    this.out = out;
    this.nowButton = now;
    this.branchButton = branch;
    this.send = send;
    this.show = show;
    this.leave = leave;
    this.branched = branched;
    this.now = 0;           // the session's epoch (the live frames')
    this.looking = false;   // the page shows the past
    this.shown = null;      // the past reply drawn: {epoch, now, frame}
    this.shownFor = null;   // the epoch asked for that it answers
    this.want = null;       // the epoch asked for last
    this.inFlight = false;
    this.stale = false;     // the session changed since the request in flight was sent
    this.error = '';        // why the last request failed, shown until the next move
    this.available = true;  // not under the tfp profile
    this.asked = 0;         // past frames asked for and drawn (the tests read them)
    this.drawn = 0;
    this.rendered = '';     // what the slider and label last showed
    this.renderedAt = -Infinity;
    this.timer = null;      // a render put off (live frames come faster than it is needed)
    slider.addEventListener('input', () => this.seek(Number(slider.value)));
    slider.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape' && this.looking) { ev.preventDefault(); this.backToNow(); }
    });
    now.addEventListener('click', () => this.backToNow());
    branch.addEventListener('click', () => this.trainFromHere());
    this.render();
  }

  // Whether the session offers a history (not under the tfp profile), and why not.
  setAvailable(available, reason = '') {
    this.available = available;
    this.slider.title = available ? 'Drag to see the network as it was at an earlier epoch' : reason;
    if (!available && this.looking) this.backToNow();
    this.render();
  }

  // A live frame (or state) at `epoch`. A session that went back before what is shown (a
  // reset, a rebuild, another page branching) leaves the past view.
  live(epoch) {
    this.now = epoch;
    if (this.looking && this.want !== null && epoch < this.want) { this.backToNow(); return; }
    const wait = this.renderedAt + LIVE_RENDER_MS - performance.now();
    if (wait <= 0) this.render();
    else if (this.timer === null) this.timer = setTimeout(() => { this.timer = null; this.render(); }, wait);
  }

  // A new session or connection: the live view, nothing asked.
  reset() {
    this.looking = false;
    this.error = '';
    this.shown = null;
    this.want = null;
    this.render();
  }

  seek(epoch) {
    if (!this.available) return;
    if (epoch >= this.now) { this.backToNow(); return; }
    this.looking = true;
    this.want = epoch;
    this.error = '';
    this.render();
    this.fetch();
  }

  // The settings changed (not the weights): the same epoch, drawn again as it now looks.
  refresh() {
    if (!this.looking) return;
    this.stale = true;
    this.fetch();
  }

  // One request at a time; the newest wish wins.
  async fetch() {
    if (this.inFlight || !this.looking) return;
    const epoch = this.want;
    this.inFlight = true;
    this.stale = false;
    this.asked++;
    try {
      const reply = await this.send({ type: 'get_past', epoch });
      const maps = await decodeMaps(reply.frame.maps);
      maps.sizes = Array(maps.count).fill(maps.size);
      maps.offsets = Array.from({ length: maps.count }, (_, m) => m * maps.size);
      maps.focus = null;
      if (this.looking && this.want === epoch) {
        this.shown = reply;
        this.shownFor = epoch;
        this.show(reply.frame, maps, reply);
        this.drawn++;
      }
    } catch (err) {
      if (this.looking && this.want === epoch) this.error = `History unavailable: ${err.message}`;
    } finally {
      this.inFlight = false;
    }
    if (this.looking && (this.want !== epoch || this.stale)) this.fetch();
    else this.render();
  }

  backToNow() {
    const was = this.looking;
    this.looking = false;
    this.error = '';
    this.shown = null;
    this.want = null;
    this.render();
    if (was) this.leave();
  }

  async trainFromHere() {
    if (!this.looking || !this.shown) return;
    const epoch = this.shown.epoch;
    this.branchButton.disabled = true;
    try {
      const reply = await this.send({ type: 'branch', epoch });
      this.looking = false;
      this.shown = null;
      this.want = null;
      this.now = reply.epoch;
      this.render();
      await this.branched(reply);
    } catch (err) {
      this.error = `Cannot train from here: ${err.message}`;
    } finally {
      this.branchButton.disabled = false;
      this.render();
    }
  }

  // The slider, its label and the buttons, from the state above (untouched when nothing
  // changed: this runs with every live frame).
  render() {
    this.renderedAt = performance.now();
    const at = this.shown && this.shownFor === this.want ? this.shown.epoch : this.want;
    const key = `${this.now}|${this.looking}|${at}|${this.available}|${this.error}`;
    if (key === this.rendered) return;
    this.rendered = key;
    const s = this.slider;
    s.max = String(this.now);
    s.disabled = !this.available || this.now === 0;
    if (!this.looking) s.value = String(this.now);
    this.out.textContent = this.error || (this.looking ? `Showing epoch ${at} of ${this.now}` : `epoch ${this.now}`);
    s.setAttribute('aria-valuetext', this.looking ? `epoch ${at} of ${this.now}` : `epoch ${this.now}, now`);
    this.out.dataset.epoch = String(this.looking ? at : this.now);
    this.bar.classList.toggle('past', this.looking);
    document.body.classList.toggle('looking-past', this.looking);
  }
}
