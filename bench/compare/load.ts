// load: the client-side load of bench/compare (wrk keep-alive and Connection: close, one iperf3
// stream, sequential curls) run inside the client namespace, and the parsers of their output.
// Same settings as ../shared/anchors/measure.sh: wrk -t1 -cN -dDs --latency, iperf3 -t T -J.

import { nsRun, type Exec } from './sys.ts';

export interface WrkResult {
  readonly rps: number;
  readonly p99Ms: number;
  /** Socket errors (connect, read, write, timeout) plus non-2xx responses. */
  readonly errors: number;
  readonly requests: number;
}

/** Converts wrk's latency text (`812.00us`, `2.68ms`, `1.02s`) to milliseconds. */
export function latencyMs(text: string): number | null {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (m === null) return null;
  const v = Number(m[1]);
  switch (m[2]) {
    case 'us':
      return v / 1000;
    case 'ms':
      return v;
    case 's':
      return v * 1000;
    default:
      return v * 60_000;
  }
}

/** Parses `wrk --latency` output; null when the run produced no rate or no p99. */
export function parseWrk(out: string): WrkResult | null {
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(out);
  const p99 = /^\s+99%\s+(\S+)/m.exec(out);
  const reqs = /^\s+(\d+) requests in/m.exec(out);
  if (rps === null || p99 === null) return null;
  const p99Ms = latencyMs(p99[1]!);
  if (p99Ms === null) return null;
  let errors = 0;
  const se = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  if (se !== null) errors += Number(se[1]) + Number(se[2]) + Number(se[3]) + Number(se[4]);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  if (non2xx !== null) errors += Number(non2xx[1]);
  return { rps: Number(rps[1]), p99Ms, errors, requests: reqs === null ? 0 : Number(reqs[1]) };
}

export interface IperfResult {
  readonly gbps: number;
  readonly retransmits: number;
}

/** Parses `iperf3 -J`: received Gbit/s (end.sum_received) and the sender's retransmits. */
export function parseIperf(out: string): IperfResult | { error: string } {
  let j: unknown;
  try {
    j = JSON.parse(out);
  } catch {
    return { error: `iperf3 printed no JSON: ${out.trim().slice(0, 200)}` };
  }
  const o = j as {
    error?: unknown;
    end?: { sum_received?: { bits_per_second?: unknown }; sum_sent?: { retransmits?: unknown } };
  };
  if (typeof o.error === 'string') return { error: `iperf3: ${o.error}` };
  const bps = o.end?.sum_received?.bits_per_second;
  if (typeof bps !== 'number') return { error: 'iperf3 JSON has no end.sum_received.bits_per_second' };
  const rt = o.end?.sum_sent?.retransmits;
  return { gbps: bps / 1e9, retransmits: typeof rt === 'number' ? rt : 0 };
}

/** Counts `web1` / `web2` lines; anything else (FAIL, errors) is "other". */
export function parseDist(out: string, total: number): { web1: number; web2: number; other: number } {
  const lines = out.split('\n').map((l) => l.trim());
  const web1 = lines.filter((l) => l === 'web1').length;
  const web2 = lines.filter((l) => l === 'web2').length;
  return { web1, web2, other: total - web1 - web2 };
}

export interface LoadSettings {
  readonly durationS: number;
  readonly conns: number;
  readonly iperfS: number;
  readonly curls: number;
}

export function wrk(client: string, url: string, close: boolean, s: LoadSettings): Exec {
  const hdr = close ? ['-H', 'Connection: close'] : [];
  return nsRun(client, 'wrk', ['-t1', `-c${s.conns}`, `-d${s.durationS}s`, '--latency', ...hdr, url], s.durationS + 10);
}

export function iperf(client: string, host: string, s: LoadSettings): Exec {
  return nsRun(client, 'iperf3', ['-c', host, '-p', '5201', '-t', String(s.iperfS), '-J'], s.iperfS + 10);
}

export function curls(client: string, url: string, s: LoadSettings): Exec {
  const script = `for i in $(seq ${s.curls}); do curl -s -m 2 ${url} || echo FAIL; done`;
  return nsRun(client, 'bash', ['-c', script], 3 * s.curls + 10);
}
