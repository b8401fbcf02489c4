import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { MiscCheck, miscVerdict } from '../../src/health/misc-check.ts';
import { runCommand, splitScript } from '../../src/health/command.ts';

const sig = (): AbortSignal => new AbortController().signal;
const target = { addr: 0x7f000001, port: 80 };
const sh = (script: string): string[] => ['/bin/sh', '-c', script];

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Processes of group pgid that are not zombies (a zombie is dead; whether PID 1 reaps it is not ours). */
function livingInGroup(pgid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    // pid (comm) state ppid pgrp ...: comm may hold spaces, so split after the last ')'.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(f[2]) === pgid && f[0] !== 'Z') out.push(Number(name));
  }
  return out;
}

async function settleGroup(pgid: number): Promise<number[]> {
  let left = livingInGroup(pgid);
  for (let i = 0; i < 40 && left.length > 0; i++) {
    await new Promise((r) => setTimeout(r, 25));
    left = livingInGroup(pgid);
  }
  return left;
}

t.test('exit 0 is up, exit 1 is down, 2..255 is down without misc_dynamic', async (t) => {
  const run = (code: number, dynamic: boolean) =>
    new MiscCheck({ argv: sh(`exit ${code}`), timeoutMs: 2000, dynamic }).check(target, sig());
  t.same(await run(0, false), { ok: true, reason: '' });
  t.same(await run(1, false), { ok: false, reason: 'failed (exited with status 1)' });
  t.same(await run(7, false), { ok: false, reason: 'failed (exited with status 7)' });
});

t.test('with misc_dynamic, exit 2..255 is up with weight = status - 2, and 1 is still down', async (t) => {
  const run = (code: number) =>
    new MiscCheck({ argv: sh(`exit ${code}`), timeoutMs: 2000, dynamic: true }).check(target, sig());
  t.same(await run(2), { ok: true, reason: '', weight: 0 });
  t.same(await run(12), { ok: true, reason: '', weight: 10 });
  t.same(await run(255), { ok: true, reason: '', weight: 253 });
  t.same(await run(0), { ok: true, reason: '' }, 'exit 0 leaves the weight unchanged');
  t.same(await run(1), { ok: false, reason: 'failed (exited with status 1)' });
});

t.test('a hanging script is killed by PID on timeout, with its children', async (t) => {
  const chk = new MiscCheck({
    argv: sh('sleep 30 & sleep 30; wait'),
    timeoutMs: 200,
    dynamic: false,
    killGraceMs: 200,
  });
  const r = await chk.check(target, sig());
  t.same(r, { ok: false, reason: 'timed out' });
  t.ok(chk.lastPid > 0);
  t.equal(alive(chk.lastPid), false, 'the script is gone');
  t.same(await settleGroup(chk.lastPid), [], 'no process of its group survives');
});

t.test('a script that ignores SIGTERM gets SIGKILL after the grace period', async (t) => {
  const r = await runCommand(sh("trap '' TERM; while :; do sleep 0.05; done"), { timeoutMs: 100, killGraceMs: 200 });
  t.equal(r.timedOut, true);
  t.equal(r.signal, 'SIGKILL');
  t.equal(alive(r.pid), false);
});

t.test("a missing program and a signal are failures with keepalived's words", async (t) => {
  const r = await new MiscCheck({ argv: ['/nonexistent/tsvs-check'], timeoutMs: 1000, dynamic: false }).check(
    target,
    sig(),
  );
  t.same(r, { ok: false, reason: 'cannot run: spawn /nonexistent/tsvs-check ENOENT' });
  t.same(miscVerdict({ pid: 1, code: null, signal: 'SIGSEGV', timedOut: false, error: '' }, false), {
    ok: false,
    reason: 'failed (due to signal SIGSEGV)',
  });
});

t.test('script lines split like keepalived: spaces separate, quotes group', async (t) => {
  t.same(splitScript('/bin/check  a "b c" \'d e\' f\\ g'), ['/bin/check', 'a', 'b c', 'd e', 'f g']);
  t.same(splitScript('  '), []);
});

t.test('notify scripts run as argv, bounded in number, and drain() waits for them', async (t) => {
  const { NotifyRunner } = await import('../../src/health/notify.ts');
  const { mkdtempSync, readFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'tsvs-notify-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'out');
  const n = new NotifyRunner({ maxInFlight: 2, timeoutMs: 2000 });
  n.run(['/bin/sh', '-c', `echo "$0" >> ${out}`, 'one; not a shell']);
  n.run(['/bin/sh', '-c', 'sleep 0.2']);
  n.run(['/bin/sh', '-c', `echo three >> ${out}`]);
  t.equal(n.dropped, 1, 'the third script is dropped while two run');
  await n.drain();
  t.equal(readFileSync(out, 'utf8'), 'one; not a shell\n', 'arguments reach the script verbatim');
});
