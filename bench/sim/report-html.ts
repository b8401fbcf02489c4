// The HTML report: one self-contained file (inline CSS and SVG, no script, no network) with the
// headline table, the plots and the method. No kernel counterpart.

import { esc } from './svg-axis.ts';
import {
  LATENCY_NOTE,
  SUMMARY_COLUMNS,
  bestRows,
  costPivot,
  describeScenario,
  eventRows,
  fmtMs,
  fmtX,
  type Report,
} from './report-data.ts';
import { duplicates, eventMarkers, schedColor } from './chart-style.ts';
import { latencyCdf, latencyTail, p95OverTime } from './chart-latency.ts';
import { shareOverTime, shareVsWeight } from './chart-share.ts';
import { churnOverTime, failedOverTime, slowQueueOverTime } from './chart-timeline.ts';
import { costChart } from './chart-cost.ts';

const FULL = 1260;
const HALF = 620;

const CSS = `
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#1d1d1f;background:#f5f6f8;margin:0}
main{max-width:1300px;margin:0 auto;padding:24px 20px 60px}
h1{font-size:26px;margin:4px 0 6px}h2{font-size:19px;margin:34px 0 10px;border-bottom:1px solid #ddd;padding-bottom:4px}
h3{font-size:15px;margin:18px 0 6px}
.teaches{background:#fff8e1;border-left:5px solid #f0b400;padding:12px 16px;margin:12px 0 14px;font-size:15px;line-height:1.45}
.meta{font-size:13px;color:#444;line-height:1.6;margin:0;padding-left:18px}
code{background:#eceef1;padding:1px 5px;border-radius:3px;font-size:12.5px}
table{border-collapse:collapse;background:#fff;font-size:13px;margin:6px 0}
th,td{padding:5px 9px;border-bottom:1px solid #e8e8e8;text-align:right;white-space:nowrap}
th{background:#fafafa;font-weight:600;color:#333;border-bottom:2px solid #ddd;white-space:normal;max-width:88px;vertical-align:bottom}
td.cells{text-align:left;white-space:normal;font-size:12px;min-width:90px}
td:first-child,th:first-child{text-align:left}
td.best{font-weight:700;background:#e8f5e9}
.dot{display:inline-block;width:10px;height:10px;border-radius:5px;margin-right:6px;vertical-align:0}
.row{display:flex;gap:20px;flex-wrap:wrap}.card{background:#fff;border:1px solid #e3e3e3;border-radius:6px;padding:6px;margin:8px 0}
.note{font-size:12.5px;color:#555;max-width:1200px;line-height:1.5}
`;

function card(svg: string): string {
  return `<div class="card">${svg}</div>`;
}

function summaryTable(rep: Report): string {
  const res = rep.results;
  const best = SUMMARY_COLUMNS.map((c) => bestRows(res, c));
  const head = SUMMARY_COLUMNS.map((c) => `<th>${esc(c.head)}</th>`).join('');
  const rows = res
    .map(
      (r, i) =>
        '<tr>' +
        SUMMARY_COLUMNS.map((c, k) => {
          const v = esc(c.cell(r));
          if (k === 0) return `<td><span class="dot" style="background:${schedColor(r.scheduler)}"></span>${v}</td>`;
          return `<td${best[k]!.has(i) ? ' class="best"' : ''}>${v}</td>`;
        }).join('') +
        '</tr>',
    )
    .join('');
  return `<table><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table>`;
}

function eventsTable(rep: Report): string {
  const rows = eventRows(rep.results);
  if (rows.length === 0) return '<p class="note">No table changes in this scenario.</p>';
  const head = rep.results
    .map(
      (r) =>
        `<th style="text-align:left"><span class="dot" style="background:${schedColor(r.scheduler)}"></span>${esc(r.scheduler)}</th>`,
    )
    .join('');
  const body = rows
    .map(
      (e) =>
        `<tr><td>${fmtX(e.tMs / 1000, 1)}</td><td class="cells">${esc(e.label)}</td>` +
        e.cells.map((c) => `<td class="cells">${c.length === 0 ? '–' : c.map(esc).join('<br>')}</td>`).join('') +
        '</tr>',
    )
    .join('');
  return (
    `<table><thead><tr><th>t (s)</th><th style="text-align:left">event</th>${head}</tr></thead><tbody>${body}</tbody></table>` +
    '<p class="note">"Cut in flight": requests on the server when it died (or when -d cut its connections: ip_vs_in drops the client packets of a ' +
    'connection whose server was removed). "Lost before detection": new connections sent to the dead server before the health check took it out. ' +
    '"Clients moved" is measured for sh, mh and dh only, by asking the real scheduler where each of the most active clients (up to 20,000) goes ' +
    'before and after the change; "min" is what any scheme must move (the clients of a server that left, or a new server\'s fair share). ' +
    'Other schedulers keep no fixed client mapping: see the churn plot.</p>'
  );
}

function costSection(rep: Report): string {
  if (rep.cost === null || rep.cost.length === 0) return `<p class="note">${esc(rep.costNote)}</p>`;
  const { sizes, table } = costPivot(rep.cost);
  const nHead = (what: string): string =>
    sizes.map((n) => `<th>${what}<br>n = ${n.toLocaleString('en')}</th>`).join('');
  const rows = table
    .map(
      (c) =>
        `<tr><td><span class="dot" style="background:${schedColor(c.scheduler)}"></span>${esc(c.scheduler)}</td>` +
        c.pick.map((v) => `<td>${fmtX(v, 1)}</td>`).join('') +
        c.full.map((v) => `<td>${fmtX(v, 1)}</td>`).join('') +
        `<td>${fmtX(1e3 / (c.pick[c.pick.length - 1] ?? NaN), 1)}</td></tr>`,
    )
    .join('');
  return (
    card(costChart(rep.cost, FULL)) +
    `<table><thead><tr><th>scheduler</th>${nHead('ns/pick')}${nHead('pick + open + close')}<th>M picks/s at n = ${(sizes[sizes.length - 1] ?? 0).toLocaleString('en')}</th></tr></thead><tbody>${rows}</tbody></table>` +
    `<p class="note">${esc(rep.costNote)}</p>`
  );
}

export function renderHtml(rep: Report): string {
  const sc = rep.scenario;
  const res = rep.results;
  const names = sc.servers.map((s) => s.name);
  const markers = eventMarkers(res);
  const slowIdx = res[0]?.slowest.index ?? 0;
  const anyFailed = res.some((r) => r.failedShare > 0);
  const probed = res.some((r) => r.events.some((e) => e.disruption !== null));
  const parts: string[] = [];
  parts.push(`<h1>${esc(sc.title)}</h1>`);
  parts.push(`<div class="teaches"><b>What this teaches.</b> ${esc(sc.teaches)}</div>`);
  parts.push(
    `<ul class="meta">${describeScenario(sc, rep.durationSec)
      .map((l) => `<li>${esc(l)}</li>`)
      .join('')}<li>Command: <code>${esc(rep.command)}</code></li></ul>`,
  );
  const dups = [...duplicates(res)].map(([a, b]) => `${a} = ${b}`);
  parts.push('<h2>At a glance</h2>', summaryTable(rep));
  if (dups.length > 0)
    parts.push(
      `<p class="note"><b>Identical runs:</b> ${esc(dups.join(', '))} (same picks for every request here, e.g. wrr is rr and wlc is lc when all weights are equal); their lines are dashed on top of each other.</p>`,
    );
  parts.push(
    `<p class="note">Best value per column in green. ${esc(LATENCY_NOTE)} ` +
      '"conns/weight" compares each server\'s share of new connections with its share of ' +
      'weight × time (1.00 = exactly by weight); "util" is work done ÷ capacity offered per server; "slowest" is ' +
      `${esc(names[slowIdx] ?? '')} (${esc(res[0]?.slowest.why ?? '')}). "failed" = dropped + sent to a dead server before the health check noticed + cut in flight.</p>`,
  );
  parts.push(
    '<h2>Response time</h2>',
    `<div class="row">${card(latencyCdf(res, HALF))}${card(latencyTail(res, HALF))}</div>`,
  );
  parts.push(card(p95OverTime(res, FULL)));
  if (anyFailed) parts.push(card(failedOverTime(res, FULL)));
  parts.push(`<h2>Queueing at the slowest server</h2>`, card(slowQueueOverTime(res, names[slowIdx] ?? '', FULL)));
  parts.push(
    '<h2>Load per server</h2><p class="note">Left: each server\'s share of the new connections over time (stacked), with the weight shares as dashed ' +
      'boundaries. Right: share of all connections (bar) against share of weight (black tick).</p>',
  );
  for (const r of res)
    parts.push(
      `<h3><span class="dot" style="background:${schedColor(r.scheduler)}"></span>${esc(r.scheduler)}</h3><div class="row">${card(shareOverTime(r, names, HALF, markers))}${card(shareVsWeight(r, HALF))}</div>`,
    );
  parts.push('<h2>Disruption when the server set changes</h2>', card(churnOverTime(res, FULL)));
  if (probed || res.some((r) => r.events.length > 0)) parts.push(eventsTable(rep));
  else parts.push('<p class="note">No server joins or leaves in this scenario.</p>');
  parts.push('<h2>Cost of the scheduler itself</h2>', costSection(rep));
  parts.push(
    '<h2>How this was simulated</h2><p class="note">A discrete-event simulation drives the real tsvs code: the scheduler from ' +
      '<code>src/sched/registry.ts</code>, the virtual service through <code>ServiceTable</code> (ipvsadm -A/-a/-e/-d, which runs the scheduler hooks) and every ' +
      "connection through <code>ConnManager</code> (ip_vs_in's lookup and reuse checks, scheduling, the TCP state machine: SYN, SYN-ACK, ACK, FIN exchange, " +
      'TIME_WAIT and its timers), so active and inactive counts move as in IPVS. Servers are ' +
      (sc.serverModel.kind === 'ps'
        ? 'processor-sharing queues (each of n requests gets capacity ÷ n; every accepted connection is active, as IPVS counts it)'
        : `FIFO queues with ${sc.serverModel.slots} worker slot(s)`) +
      '. ' +
      (sc.events.some((e) => e.action === 'fail')
        ? 'A failed server answers nothing: connections sent to it stay SYN_RECV and its requests in flight are lost; ' +
          `the health checker acts through the ServiceTable after ${sc.healthCheck.delaySec} s. `
        : '') +
      'Every scheduler sees the same requests (same seed, separate random streams). Files: summary.md, summary.csv, servers.csv, ' +
      'latency-cdf.csv, timeseries.csv, events.csv, cost.csv.</p>',
  );
  res.forEach((r) =>
    parts.push(
      `<p class="note">${esc(r.scheduler)}: ${r.requests} requests, ${r.completed} completed, simulated in ${fmtMs(r.wallMs)} ` +
        `(connection table of ${r.connCapacity} entries${r.dropped > 0 ? `; drops: ${esc(JSON.stringify(r.dropReasons))}` : ''}).</p>`,
    ),
  );
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(sc.title)} · tsvs scheduler bench</title><style>${CSS}</style></head>` +
    `<body><main>${parts.join('\n')}</main></body></html>\n`
  );
}
