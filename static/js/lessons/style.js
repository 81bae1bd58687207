// The lesson panel's own styles, kept with the lessons.

const CSS = `
.lesson .lesson-text { margin: 4px 0; line-height: 1.35; }
.lesson .lesson-text b[data-live] { font-variant-numeric: tabular-nums; color: #0b4f7c; }
.lesson details.predict { margin: 4px 0; font-size: 12px; }
.lesson details.predict summary { cursor: pointer; color: var(--accent, #0877bd); }
.lesson .row { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin: 4px 0; }
.lesson .race-banner { background: #fff3cd; border: 1px solid #e0b84c; padding: 3px 6px; margin: 4px 0; }
.lesson .race-counts { font-size: 11px; margin: 2px 0; font-variant-numeric: tabular-nums; }
.lesson .flags.warn { color: #b3261e; }
.lesson .matrices { display: flex; flex-wrap: wrap; align-items: center; gap: 4px; }
.lesson .matrices .times { font-size: 14px; }
.lesson .backprop table { font-size: 10px; white-space: nowrap; }
.lesson .backprop td, .lesson .backprop th { padding: 0 3px; }
.lesson .backprop { max-height: 190px; overflow: auto; }
.lesson svg.deltas { width: 100%; max-width: 320px; height: auto; }
.lesson .fade { font-size: 11px; margin: 2px 0; }
`;

export function installStyle() {
  if (document.getElementById('lesson-style')) return;
  const style = document.createElement('style');
  style.id = 'lesson-style';
  style.textContent = CSS;
  document.head.appendChild(style);
}
