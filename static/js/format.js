// Numbers for people: a fixed number of decimals while a value is of ordinary size, and a
// bound ("> 10⁶", "< −10⁶") once it is too large to read, as after a divergence.

export const HUGE = 1e6;

export function formatNumber(v, digits = 3) {
  if (v === null || v === undefined || Number.isNaN(v)) return '–';
  if (v >= HUGE) return '> 10⁶';
  if (v <= -HUGE) return '< −10⁶';
  return Number(v).toFixed(digits);
}

export const formatPercent = (v) => (v === null || v === undefined ? '–' : `${(100 * v).toFixed(1)} %`);
