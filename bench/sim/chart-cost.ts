// The report's scheduler cost plot: ns per pick and per pick + open + close accounting against
// the number of real servers, from bench/sched.bench.ts (cost.ts). No kernel counterpart.

import type { CostRow } from './cost.ts';
import { Plot } from './svg.ts';
import { fmtNum } from './svg-axis.ts';
import { finiteRange, schedColor } from './chart-style.ts';

export function costChart(rows: readonly CostRow[], width: number): string {
  const names = [...new Set(rows.map((r) => r.scheduler))];
  const [lo, hi] = finiteRange(rows.flatMap((r) => [r.nsPick, r.nsOpenClose]));
  const p = new Plot({
    title: 'Scheduler cost: ns per pick (solid) and per pick + open + close accounting (dashed)',
    width,
    height: 340,
    legend: names.map((nm) => ({ name: nm, color: schedColor(nm) })),
    x: { min: 1.5, max: 14000, log: true, label: 'real servers in the service', ticks: [2, 10, 100, 1000, 10000] },
    y: { min: lo * 0.7, max: hi * 1.4, log: true, label: 'ns', fmt: fmtNum },
  });
  for (const nm of names) {
    const mine = rows.filter((r) => r.scheduler === nm).sort((a, b) => a.n - b.n);
    p.line(
      mine.map((r) => r.n),
      mine.map((r) => r.nsPick),
      schedColor(nm),
    );
    p.dots(
      mine.map((r) => r.n),
      mine.map((r) => r.nsPick),
      schedColor(nm),
    );
    p.line(
      mine.map((r) => r.n),
      mine.map((r) => r.nsOpenClose),
      schedColor(nm),
      { dash: '5 4', width: 1.5 },
    );
    p.dots(
      mine.map((r) => r.n),
      mine.map((r) => r.nsOpenClose),
      schedColor(nm),
      2.5,
    );
  }
  return p.render();
}
