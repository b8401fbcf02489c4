// The plots' axes and text: an axis spec, round ticks on linear and log axes, numbers as short
// labels, and escaped SVG text in one font. Used by svg.ts's Plot. No kernel counterpart.

export interface AxisSpec {
  readonly min: number;
  readonly max: number;
  readonly log?: boolean;
  readonly label: string;
  readonly fmt?: (v: number) => string;
  readonly ticks?: readonly number[];
}

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** 1234 -> "1.2k", 0.05 -> "0.05", 12 -> "12". */
export function fmtNum(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${trim(v / 1e6)}M`;
  if (a >= 1e4) return `${trim(v / 1e3)}k`;
  if (a >= 100 || a === 0) return String(Math.round(v));
  if (a >= 1) return trim(v);
  return String(Number(v.toPrecision(2)));
}

function trim(v: number): string {
  return String(Number(v.toFixed(Math.abs(v) >= 10 ? 0 : 1)));
}

export const r1 = (v: number): string => (Math.round(v * 10) / 10).toString();

export function niceTicks(min: number, max: number, want = 6): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / want;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(min / step - 1e-9) * step; v <= max + step * 1e-9; v += step)
    out.push(Number(v.toPrecision(12)));
  return out;
}

export function logTicks(min: number, max: number): number[] {
  const lo = Math.floor(Math.log10(min));
  const hi = Math.ceil(Math.log10(max));
  const mult = hi - lo <= 2 ? [1, 2, 5] : hi - lo <= 4 ? [1, 3] : [1];
  const out: number[] = [];
  for (let e = lo; e <= hi; e++)
    for (const m of mult) {
      const v = m * 10 ** e;
      if (v >= min * 0.999 && v <= max * 1.001) out.push(Number(v.toPrecision(6)));
    }
  return out;
}

export const FONT = 'font-family="system-ui,-apple-system,Segoe UI,Roboto,sans-serif"';
