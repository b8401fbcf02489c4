// lab-trace: turn the daemon's rewrite trace into lines a student reads (src/cli/format-trace.ts).
import { formatTrace, type TraceNames } from '../src/cli/format-trace.ts';
import type { TraceEvent } from '../src/datapath/trace.ts';
import { ipToString } from '../src/lib/inet.ts';
import type { LabDaemon } from './lab-daemon.ts';
import { RIP1, RIP2, type LabTopology } from './topology.ts';

interface TraceReply {
  head: number;
  events: TraceEvent[];
}

function names(d: LabDaemon): TraceNames {
  const ln = d.tsvsadm(['-Ln'], true).stdout;
  return {
    host: (a) => (({ [RIP1]: 'web1', [RIP2]: 'web2' }) as Record<string, string>)[ipToString(a)],
    sched: (vaddr, vport) => new RegExp(`${ipToString(vaddr).replace(/\./g, '\\.')}:${vport} (\\S+)`).exec(ln)?.[1],
  };
}

/** Trace what `act` causes and print it. */
export async function printTrace(_lab: LabTopology, d: LabDaemon, act: () => unknown): Promise<void> {
  const start = (await d.request('trace', { enable: true })) as TraceReply;
  act();
  await new Promise((r) => setTimeout(r, 100));
  const got = (await d.request('trace', { cursor: start.head, enable: false })) as TraceReply;
  const n = names(d);
  for (const e of got.events) process.stdout.write(`  ${formatTrace(e, n)}\n`);
}

/** Print rewrites live for durationMs. */
export async function watchTrace(_lab: LabTopology, d: LabDaemon, durationMs: number): Promise<void> {
  let cursor = ((await d.request('trace', { enable: true })) as TraceReply).head;
  process.stdout.write(`tracing for ${durationMs / 1000} s: send traffic (e.g. npm run lab -- curl 5) ...\n`);
  const n = names(d);
  const end = Date.now() + durationMs;
  try {
    while (Date.now() < end) {
      await new Promise((r) => setTimeout(r, 200));
      const got = (await d.request('trace', { cursor })) as TraceReply;
      for (const e of got.events) process.stdout.write(`${formatTrace(e, n)}\n`);
      cursor = got.head;
    }
  } finally {
    await d.request('trace', { enable: false });
  }
}
