// The lesson panel's own styles, kept with the lessons.

const CSS = `
.left .lesson { max-height: 80%; }
.lesson-side { font-size: 11px; overflow-x: auto; }
.lesson-side .backprop-view { display: flex; align-items: center; gap: 6px; }
.lesson-side table { border-collapse: collapse; font-variant-numeric: tabular-nums; white-space: nowrap; }
.lesson-side td, .lesson-side th { border: 1px solid #ddd; padding: 0 2px; text-align: right; }
.lesson-side .tables { display: flex; gap: 6px; align-items: flex-start; }
.lesson-side p { margin: 2px 0; }
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
.lesson-side svg.deltas { width: 190px; height: 110px; display: block; }
.lesson-side .bp-grid { display: flex; gap: 6px; align-items: flex-start; }
.lesson .fade { font-size: 11px; margin: 2px 0; }
`;

export function installStyle() {
  if (document.getElementById('lesson-style')) return;
  const style = document.createElement('style');
  style.id = 'lesson-style';
  style.textContent = CSS;
  document.head.appendChild(style);
}
