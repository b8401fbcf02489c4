// tsvsd as a process, seen from outside: JSON logs, journal priorities, runtime metrics, a
// metrics address that cannot be bound, the bind-all warning, and tsvsadm --engine without an
// engine.
import t from 'tap';
import { spawn } from 'node:child_process';
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, ROOT, runTsvsd, scrapeMetrics, startTsvsd, tempDir, tsvsadm } from './fixtures/procs.ts';
import { waitFor } from '../helpers/wait-for.ts';

/** tsvsd without a config or engine, in a temporary directory, with the extra flags. */
async function startBare(t: Parameters<typeof tempDir>[0], ...flags: string[]) {
  const dir = tempDir(t);
  const socket = join(dir, 's.sock');
  const rules = join(dir, 'rules');
  const d = await startTsvsd(t, ['--socket', socket, '--rules', rules, '--backend', 'none', ...flags], socket);
  return { d, dir, socket, rules };
}

t.test('--log-format json: every line is one JSON object', async (t) => {
  const { d, socket, rules } = await startBare(t, '--log-format', 'json');
  process.kill(d.proc.pid!, 'SIGTERM');
  const done = await d.done;
  t.equal(done.code, 0);
  const lines = done.stderr.split('\n').filter((l) => l !== '');
  t.ok(lines.length >= 3);
  const objs = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  t.same(
    objs.map((o) => o['msg']),
    [
      'tsvsd listening',
      'no packet engine (tsvsd runs with --backend none): control plane only',
      'stopping',
      'tsvsd stopped',
    ],
  );
  t.same(objs[0], {
    time: objs[0]!['time'],
    level: 'info',
    msg: 'tsvsd listening',
    socket,
    rules,
  });
});

t.test('when stderr is the journal, lines carry their sd-daemon priority', async (t) => {
  const dir = tempDir(t);
  const socket = join(dir, 's.sock');
  const errFile = join(dir, 'stderr');
  const fd = openSync(errFile, 'w');
  const st = fstatSync(fd);
  const p = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/bin/tsvsd.ts', '--socket', socket, '--rules', join(dir, 'rules'), '--backend', 'none'],
    { cwd: ROOT, stdio: ['ignore', 'ignore', fd], env: { ...process.env, JOURNAL_STREAM: `${st.dev}:${st.ino}` } },
  );
  closeSync(fd);
  const exited = new Promise<number | null>((r) => p.on('close', (code) => r(code)));
  t.teardown(() => {
    if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  });
  await waitFor('tsvsd to listen', () => readFileSync(errFile, 'utf8').includes('msg="tsvsd listening"'));
  p.kill('SIGTERM');
  t.equal(await exited, 0);
  const lines = readFileSync(errFile, 'utf8')
    .split('\n')
    .filter((l) => l !== '');
  t.match(lines[0], /^<6>time=\S+ level=info msg="tsvsd listening" /);
  t.ok(
    lines.every((l) => l.startsWith('<6>')),
    'every line of a clean start and stop is info',
  );
});

t.test('/metrics carries the process and Node.js runtime figures', async (t) => {
  const port = await freePort();
  const { d } = await startBare(t, '--metrics', `127.0.0.1:${port}`);
  const body = await waitFor('the metrics endpoint', () => scrapeMetrics(port));
  for (const family of [
    'process_resident_memory_bytes gauge',
    'process_cpu_seconds_total counter',
    'process_open_fds gauge',
    'nodejs_heap_size_used_bytes gauge',
    'nodejs_heap_size_total_bytes gauge',
    'nodejs_eventloop_lag_seconds gauge',
    'nodejs_gc_duration_seconds histogram',
  ])
    t.match(body, `\n# TYPE ${family}\n`);
  t.match(body, /\nprocess_resident_memory_bytes [1-9]\d{6,}\n/);
  t.match(body, /\nprocess_open_fds [1-9]\d*\n/);
  process.kill(d.proc.pid!, 'SIGTERM');
  t.match((await d.done).stderr, `level=info msg="metrics served" url=http://127.0.0.1:${port}/metrics\n`);
});

t.test('--metrics on an address that cannot be bound stops the start with the reason', async (t) => {
  const dir = tempDir(t);
  const socket = join(dir, 's.sock');
  const r = await runTsvsd([
    '--socket',
    socket,
    '--rules',
    join(dir, 'rules'),
    '--backend',
    'none',
    '--metrics',
    '192.0.2.1:9101',
  ]);
  t.equal(r.code, 1);
  t.match(
    r.stderr,
    'level=error msg="tsvsd cannot start: cannot serve metrics" address=192.0.2.1:9101 ' +
      'error="listen EADDRNOTAVAIL: address not available 192.0.2.1:9101"\n',
  );
  t.notMatch(r.stderr, 'msg="metrics served"');
  const bad = await runTsvsd(['--metrics', 'localhost:9101']);
  t.equal(bad.code, 2);
  t.match(bad.stderr, /^tsvsd: --metrics takes ADDR:PORT with an IPv4 ADDR or \[IPv6\], e.g. 127.0.0.1:9101\n/);
});

t.test('--metrics on every interface warns; --engine without an engine says so', async (t) => {
  const { d, socket } = await startBare(t, '--metrics', '0.0.0.0:0');
  const r = await tsvsadm(['--socket', socket, '--engine']);
  t.equal(r.code, 1);
  t.equal(r.stdout, '');
  t.equal(r.stderr, 'tsvsadm: no packet engine (tsvsd runs with --backend none)\n');
  process.kill(d.proc.pid!, 'SIGTERM');
  t.match(
    (await d.done).stderr,
    'level=warn msg="metrics are served on every interface; anyone who reaches the port reads them" ' +
      'address=0.0.0.0:0 hint="bind 127.0.0.1 unless the metrics are scraped from another host"\n',
  );
});
