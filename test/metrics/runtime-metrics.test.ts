// Runtime metrics: the process and Node.js families under the client libraries' names, with
// values read from this very process.
import t from 'tap';
import { readdirSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { waitFor } from '../helpers/wait-for.ts';
import { RuntimeMetrics, openFds, GC_BUCKETS_SEC } from '../../src/metrics/runtime-metrics.ts';
import { renderExposition } from '../../src/metrics/prom-text.ts';

t.test('the families have their client-library names, types and plausible values', async (t) => {
  const rt = new RuntimeMetrics();
  rt.start();
  t.teardown(() => rt.stop());
  // A collection to observe, forced through V8's gc() (exposed at run time, as --expose-gc does).
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  const fams = await waitFor('the gc entry to reach the observer', () => {
    const f = rt.families();
    return f.find((x) => x.name === 'nodejs_gc_duration_seconds')!.samples.length > 0 ? f : null;
  }).then((f) => f!);
  const byName = new Map(fams.map((f) => [f.name, f]));
  t.same(
    fams.map((f) => `${f.name} ${f.type}`),
    [
      'process_resident_memory_bytes gauge',
      'process_cpu_seconds_total counter',
      'process_start_time_seconds gauge',
      'process_open_fds gauge',
      'nodejs_heap_size_used_bytes gauge',
      'nodejs_heap_size_total_bytes gauge',
      'nodejs_external_memory_bytes gauge',
      'nodejs_eventloop_lag_seconds gauge',
      'nodejs_eventloop_lag_p99_seconds gauge',
      'nodejs_eventloop_lag_max_seconds gauge',
      'nodejs_gc_duration_seconds histogram',
    ],
  );
  const v = (n: string): number => byName.get(n)!.samples[0]!.value;
  t.ok(v('process_resident_memory_bytes') > 1e6, 'RSS is at least a megabyte');
  t.ok(v('nodejs_heap_size_used_bytes') <= v('nodejs_heap_size_total_bytes'));
  t.ok(Math.abs(v('process_start_time_seconds') - (Date.now() / 1000 - process.uptime())) < 2);
  t.ok(v('nodejs_eventloop_lag_seconds') >= 0 && v('nodejs_eventloop_lag_max_seconds') >= 0);
  const gc = byName.get('nodejs_gc_duration_seconds')!;
  const kinds = new Set(gc.samples.map((s) => s.labels?.['kind']));
  for (const k of kinds) t.ok(['minor', 'major', 'incremental', 'weakcb', 'other'].includes(k!), `kind ${k}`);
  t.equal(gc.samples.filter((s) => s.suffix === '_bucket').length, kinds.size * (GC_BUCKETS_SEC.length + 1));
  const text = renderExposition(fams);
  t.match(
    text,
    /\n# TYPE nodejs_gc_duration_seconds histogram\nnodejs_gc_duration_seconds_bucket\{kind="\w+",le="0.001"\} \d+\n/,
  );
});

t.test('open fds count /proc/self/fd without the directory handle itself', async (t) => {
  const n = openFds();
  t.ok(n !== null && n >= 3, 'stdin, stdout, stderr at least');
  t.ok(Math.abs(n! - (readdirSync('/proc/self/fd').length - 1)) <= 2);
  t.equal(openFds('/nonexistent/fd'), null);
});
