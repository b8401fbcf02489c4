// renderTopFrame: one screen of `tsvsadm --top` as lines, from plain data (the "list" op with the
// estimator rates that ipvsadm --rate prints, the health verdicts, the engine's drop counters).
// Pure: the same data and width give the same lines, so the live loop only fetches and paints.
//
//   tsvs top - every 2 s - 20:45:01 - 1 service, 3 real servers
//   engine: 300 of 65536 connections (0%); drops 13: no_service 9, not_syn 4
//
//   Prot LocalAddress:Port Sched Weight State Active  Inact    CPS  InPPS OutPPS  InB/s OutB/s
//   TCP  192.168.88.5:80 wlc            2/3       10      1     12    340   2500 123.5K  98.8M
//     -> 192.168.99.100:80            1 UP         3      0      0      0      0      0      0
//     -> 192.168.99.200:80            2 UP         7      1     12    340   2500 123.5K  98.8M
//     -> 192.168.99.150:80            0 DOWN       -      -      -      -      -      -      -
//
// Services and real servers come in ipvsadm's sorted order (format-sort.ts). Columns that do not
// fit the width are left off from the right; a line still too long is cut at the width.

import { protocolName } from '../model/rule-spec.ts';
import { cmpDests, cmpServices } from './format-sort.ts';
import { padLeft, padRight } from './format-numbers.ts';
import type { DestInfo, RateInfo, ServiceInfo } from '../wire/wire.ts';

/** One row of the "health" op (src/daemon/health-wiring.ts healthStates()). */
export interface TopHealth {
  /** "TCP 192.168.88.5:80" or "FWM 1". */
  readonly service: string;
  /** "192.168.99.100:80". */
  readonly dest: string;
  readonly alive: boolean;
  readonly weight: number;
  readonly failures: number;
}

/** What --top shows of engine.stats: drops by reason (non-zero only) and table occupancy. */
export interface TopEngine {
  readonly drops: Readonly<Record<string, number>>;
  readonly connections: number;
  readonly connCapacity: number;
}

export interface TopData {
  readonly services: readonly ServiceInfo[];
  /** null: tsvsd runs no health checks. */
  readonly health: readonly TopHealth[] | null;
  /** null: tsvsd runs no packet engine. */
  readonly engine: TopEngine | null;
  readonly intervalSec: number;
  /** Wall-clock time of the sample, "HH:MM:SS". */
  readonly clock: string;
}

/** A rate in at most 6 characters (up to 999.9T): whole up to 99999, then one decimal and K/M/G/T. */
export function compactNumber(n: number): string {
  const v = Number.isFinite(n) && n > 0 ? Math.round(n) : 0;
  if (v < 100_000) return String(v);
  const units = ['K', 'M', 'G', 'T'];
  let x = v;
  let u = -1;
  while (x >= 1000 && u < units.length - 1) {
    x /= 1000;
    u++;
  }
  // 999.95K rounds to "1000.0K"; move it up to the next unit.
  if (Number(x.toFixed(1)) >= 1000 && u < units.length - 1) {
    x /= 1000;
    u++;
  }
  return `${x.toFixed(1)}${units[u]}`;
}

interface Row {
  readonly label: string;
  readonly weight: string;
  readonly state: string;
  readonly active: string;
  readonly inact: string;
  readonly rates: RateInfo | null;
}

interface Column {
  readonly title: string;
  readonly width: number;
  readonly left: boolean;
  readonly cell: (r: Row) => string;
}

const rate = (k: keyof RateInfo) => (r: Row) => (r.rates === null ? '-' : compactNumber(r.rates[k]));

const COLUMNS: readonly Column[] = [
  { title: 'Weight', width: 6, left: false, cell: (r) => r.weight },
  { title: 'State', width: 5, left: true, cell: (r) => r.state },
  { title: 'Active', width: 6, left: false, cell: (r) => r.active },
  { title: 'Inact', width: 6, left: false, cell: (r) => r.inact },
  { title: 'CPS', width: 6, left: false, cell: rate('cps') },
  { title: 'InPPS', width: 6, left: false, cell: rate('inPps') },
  { title: 'OutPPS', width: 6, left: false, cell: rate('outPps') },
  { title: 'InB/s', width: 6, left: false, cell: rate('inBps') },
  { title: 'OutB/s', width: 6, left: false, cell: rate('outBps') },
];

const LABEL_TITLE = 'Prot LocalAddress:Port Sched';

function serviceKey(s: ServiceInfo): string {
  return s.fwmark !== 0 ? `FWM ${s.fwmark}` : `${protocolName(s.protocol)} ${s.addr}:${s.port}`;
}

function serviceLabel(s: ServiceInfo): string {
  const name = s.fwmark !== 0 ? `FWM  ${s.fwmark}` : `${padRight(protocolName(s.protocol), 4)} ${s.addr}:${s.port}`;
  return `${name} ${s.sched}`;
}

function stateOf(h: TopHealth | undefined, checked: boolean): string {
  if (!checked || h === undefined) return '-';
  return h.alive ? 'UP' : 'DOWN';
}

function rowsOf(s: ServiceInfo, health: readonly TopHealth[] | null): Row[] {
  const key = serviceKey(s);
  const checks = new Map((health ?? []).filter((h) => h.service === key).map((h) => [h.dest, h]));
  const dests = [...s.dests].sort(cmpDests);
  let active = 0;
  let inact = 0;
  for (const d of dests) {
    active += d.activeConns;
    inact += d.inactConns;
  }
  const up = dests.filter((d) => checks.get(`${d.addr}:${d.port}`)?.alive === true).length;
  const out: Row[] = [
    {
      label: serviceLabel(s),
      weight: '',
      state: checks.size > 0 ? `${up}/${checks.size}` : '',
      active: String(active),
      inact: String(inact),
      rates: s.rates,
    },
  ];
  const listed = new Set<string>();
  for (const d of dests) {
    const dkey = `${d.addr}:${d.port}`;
    listed.add(dkey);
    out.push(destRow(d, stateOf(checks.get(dkey), health !== null)));
  }
  // A server that failed its check has left the service (keepalived's way); it stays on screen.
  for (const [dkey, h] of checks) {
    if (listed.has(dkey)) continue;
    out.push({ label: `  -> ${dkey}`, weight: '0', state: stateOf(h, true), active: '-', inact: '-', rates: null });
  }
  return out;
}

function destRow(d: DestInfo, state: string): Row {
  return {
    label: `  -> ${d.addr}:${d.port}`,
    weight: String(d.weight),
    state,
    active: String(d.activeConns),
    inact: String(d.inactConns),
    rates: d.rates,
  };
}

function engineLine(e: TopEngine | null): string {
  if (e === null) return 'engine: none (control plane only)';
  const pct = e.connCapacity > 0 ? Math.floor((e.connections * 100) / e.connCapacity) : 0;
  const drops = Object.entries(e.drops).filter(([, n]) => n > 0);
  const total = drops.reduce((a, [, n]) => a + n, 0);
  const list = drops
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  return `engine: ${e.connections} of ${e.connCapacity} connections (${pct}%); drops ${total}${total > 0 ? `: ${list}` : ''}`;
}

function cut(line: string, width: number): string {
  return line.length > width ? line.slice(0, width) : line;
}

/**
 * The frame as lines (no newlines), none longer than widthCols and at most heightRows of them: a
 * taller frame ends in a line saying how many rows did not fit.
 */
export function renderTopFrame(data: TopData, widthCols: number, heightRows = Infinity): string[] {
  const width = Math.max(1, Math.floor(widthCols));
  const services = [...data.services].sort(cmpServices);
  const rows = services.flatMap((s) => rowsOf(s, data.health));
  const nDests = rows.length - services.length;
  const labelWidth = Math.max(LABEL_TITLE.length, ...rows.map((r) => r.label.length));
  const cols: Column[] = [];
  let used = labelWidth;
  for (const c of COLUMNS) {
    if (used + 1 + c.width > width) break;
    cols.push(c);
    used += 1 + c.width;
  }
  const line = (label: string, cells: (c: Column) => string): string =>
    cut(
      padRight(label, labelWidth) +
        cols.map((c) => ' ' + (c.left ? padRight(cells(c), c.width) : padLeft(cells(c), c.width))).join(''),
      width,
    ).trimEnd();
  const head = [
    `tsvs top - every ${data.intervalSec} s - ${data.clock} - ${services.length} service${services.length === 1 ? '' : 's'}, ${nDests} real server${nDests === 1 ? '' : 's'}`,
    engineLine(data.engine),
    '',
  ].map((l) => cut(l, width));
  const all = [...head, line(LABEL_TITLE, (c) => c.title), ...rows.map((r) => line(r.label, (c) => c.cell(r)))];
  const height = Math.max(1, Math.floor(heightRows));
  if (all.length <= height) return all;
  const kept = all.slice(0, height - 1);
  return [...kept, cut(`... ${all.length - kept.length} more rows`, width)];
}
