// lab-trace: turn the daemon's rewrite trace into lines a student reads (src/cli/format-trace.ts).
import { formatTrace, type TraceNames } from '../src/cli/format-trace.ts';
import type { TraceEvent } from '../src/datapath/trace.ts';
import { ipToString } from '../src/lib/inet.ts';
import type { LabDaemon } from './lab-daemon.ts';
import { RIP1_6, RIP2_6 } from './ipv6.ts';
import { RIP1, RIP2, type LabTopology } from './topology.ts';

interface TraceReply {
  head: number;
  events: TraceEvent[];
}

const text = (a: number | string): string => (typeof a === 'number' ? ipToString(a) : a);

function names(d: LabDaemon): TraceNames {
  const ln = d.tsvsadm(['-Ln'], true).stdout;
  const web: Record<string, string> = { [RIP1]: 'web1', [RIP2]: 'web2', [RIP1_6]: 'web1', [RIP2_6]: 'web2' };
  return {
    host: (a) => web[text(a)],
    // -Ln's service line: "TCP  192.168.88.5:80 wrr" or "TCP  [2001:db8:88::5]:80 wrr".
    sched: (vaddr, vport) => {
      const v = typeof vaddr === 'number' ? text(vaddr) : `[${vaddr}]`;
      return ln
        .split('\n')
        .find((l) => l.includes(` ${v}:${vport} `))
        ?.split(/\s+/)[2];
    },
  };
}

/** The trace lines of what `act` causes. */
export async function traceLines(d: LabDaemon, act: () => unknown): Promise<string[]> {
  const start = (await d.request('trace', { enable: true })) as TraceReply;
  act();
  await new Promise((r) => setTimeout(r, 100));
  const got = (await d.request('trace', { cursor: start.head, enable: false })) as TraceReply;
  const n = names(d);
  return got.events.map((e) => formatTrace(e, n));
}

/** Trace what `act` causes and print it. */
export async function printTrace(_lab: LabTopology, d: LabDaemon, act: () => unknown): Promise<void> {
  for (const l of await traceLines(d, act)) process.stdout.write(`  ${l}\n`);
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
