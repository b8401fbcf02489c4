// runtime-metrics: the process and Node.js runtime as Prometheus families, with the names the
// Prometheus client libraries use (client_golang's process collector, prom-client's Node.js
// defaults) so that existing dashboards read them: resident memory, CPU time, open file
// descriptors, start time, heap, event-loop lag (perf_hooks.monitorEventLoopDelay) and garbage
// collection pauses (PerformanceObserver 'gc'). Event-loop lag figures cover the time since the
// previous scrape (the histogram is reset after each one, as prom-client does).

import { readdirSync } from 'node:fs';
import { monitorEventLoopDelay, PerformanceObserver, type IntervalHistogram } from 'node:perf_hooks';
import { constants } from 'node:perf_hooks';
import type { MetricFamily, Sample } from './prom-text.ts';

/** prom-client's default buckets for nodejs_gc_duration_seconds, in seconds. */
export const GC_BUCKETS_SEC = [0.001, 0.01, 0.1, 1, 2, 5] as const;

const GC_KINDS: ReadonlyArray<[number, string]> = [
  [constants.NODE_PERFORMANCE_GC_MINOR, 'minor'],
  [constants.NODE_PERFORMANCE_GC_MAJOR, 'major'],
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL, 'incremental'],
  [constants.NODE_PERFORMANCE_GC_WEAKCB, 'weakcb'],
];

class GcHistogram {
  readonly counts = new Array<number>(GC_BUCKETS_SEC.length).fill(0);
  count = 0;
  sumSec = 0;

  observe(sec: number): void {
    this.count++;
    this.sumSec += sec;
    for (let i = 0; i < GC_BUCKETS_SEC.length; i++) if (sec <= GC_BUCKETS_SEC[i]!) this.counts[i]!++;
  }
}

/** Open file descriptors: the entries of /proc/self/fd (minus the one readdir itself holds). */
export function openFds(dir = '/proc/self/fd'): number | null {
  try {
    return Math.max(0, readdirSync(dir).length - 1);
  } catch {
    return null;
  }
}

export class RuntimeMetrics {
  private readonly loop: IntervalHistogram;
  private readonly gcObserver: PerformanceObserver;
  private readonly gc = new Map<string, GcHistogram>();
  private readonly startSec = Math.round((Date.now() - process.uptime() * 1000) / 1000);

  constructor() {
    this.loop = monitorEventLoopDelay({ resolution: 10 });
    this.gcObserver = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        const kind = ((e as { detail?: unknown }).detail as { kind?: number } | undefined)?.kind;
        const name = GC_KINDS.find(([k]) => k === kind)?.[1] ?? 'other';
        let h = this.gc.get(name);
        if (h === undefined) this.gc.set(name, (h = new GcHistogram()));
        h.observe(e.duration / 1000);
      }
    });
  }

  start(): void {
    this.loop.enable();
    this.gcObserver.observe({ entryTypes: ['gc'] });
  }

  stop(): void {
    this.loop.disable();
    this.gcObserver.disconnect();
  }

  /** The families for one scrape; resets the event-loop histogram. */
  families(): MetricFamily[] {
    const mem = process.memoryUsage();
    const cpu = process.cpuUsage();
    const fds = openFds();
    const g = (name: string, help: string, value: number): MetricFamily => ({
      name,
      help,
      type: 'gauge',
      samples: [{ value }],
    });
    // monitorEventLoopDelay reports nanoseconds; with no sample yet its mean is NaN.
    const lag = (ns: number): number => (Number.isFinite(ns) ? ns / 1e9 : 0);
    const out: MetricFamily[] = [
      g('process_resident_memory_bytes', 'Resident memory size in bytes', mem.rss),
      {
        name: 'process_cpu_seconds_total',
        help: 'Total user and system CPU time spent in seconds',
        type: 'counter',
        samples: [{ value: (cpu.user + cpu.system) / 1e6 }],
      },
      g('process_start_time_seconds', 'Start time of the process since the Unix epoch in seconds', this.startSec),
    ];
    if (fds !== null) out.push(g('process_open_fds', 'Number of open file descriptors', fds));
    out.push(
      g('nodejs_heap_size_used_bytes', 'V8 heap used in bytes', mem.heapUsed),
      g('nodejs_heap_size_total_bytes', 'V8 heap allocated in bytes', mem.heapTotal),
      g('nodejs_external_memory_bytes', 'Memory of C++ objects bound to JavaScript objects in bytes', mem.external),
      g('nodejs_eventloop_lag_seconds', 'Mean event-loop delay since the previous scrape', lag(this.loop.mean)),
      g(
        'nodejs_eventloop_lag_p99_seconds',
        '99th percentile event-loop delay since the previous scrape',
        lag(this.loop.percentile(99)),
      ),
      g('nodejs_eventloop_lag_max_seconds', 'Largest event-loop delay since the previous scrape', lag(this.loop.max)),
    );
    this.loop.reset();
    const samples: Sample[] = [];
    for (const [kind, h] of [...this.gc].sort(([a], [b]) => a.localeCompare(b))) {
      GC_BUCKETS_SEC.forEach((le, i) =>
        samples.push({ suffix: '_bucket', labels: { kind, le: String(le) }, value: h.counts[i]! }),
      );
      samples.push({ suffix: '_bucket', labels: { kind, le: '+Inf' }, value: h.count });
      samples.push({ suffix: '_sum', labels: { kind }, value: h.sumSec });
      samples.push({ suffix: '_count', labels: { kind }, value: h.count });
    }
    out.push({
      name: 'nodejs_gc_duration_seconds',
      help: 'Garbage collection pauses by kind (minor, major, incremental, weakcb)',
      type: 'histogram',
      samples,
    });
    return out;
  }
}
