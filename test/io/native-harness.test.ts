// The native addon without a network: the C harness (native/test/harness.c: ring arithmetic, region
// layout, RX over a ring in plain memory, TX bounds and queues), built with -Werror and again with
// ASan/UBSan; the stats columns defined once (native/stats-columns.h); and, where the addon is
// built and AF_PACKET may be opened, what open failures and closed handles do.
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  NATIVE_STAT_COLUMNS,
  statColumnsMismatch,
  tryLoadNative,
  nativeLoadError,
  type NativeBinding,
  type NativeOpened,
} from '../../src/io/native-binding.ts';

const nativeDir = fileURLToPath(new URL('../../native/', import.meta.url));
const genStats = join(nativeDir, 'gen-stats.mjs');
const harnessSources = ['test/harness.c', 'layout.c', 'rx.c', 'state-map.c', 'tx.c'].map((f) => join(nativeDir, f));
const BASE_FLAGS = ['-std=gnu11', '-D_GNU_SOURCE', '-Wall', '-Wextra', '-Werror', `-I${nativeDir}`];
const SANITIZE = ['-O1', '-g', '-fsanitize=address,undefined', '-fno-omit-frame-pointer', '-fno-sanitize-recover=all'];

const noCc =
  spawnSync('cc', ['--version'], { stdio: 'ignore' }).status === 0
    ? false
    : 'no C compiler (`cc`) on PATH: the native harness is not built (Debian: apt-get install build-essential)';

const dir = mkdtempSync(join(tmpdir(), 'tsvs-native-harness-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

/** Compiles the harness with extra flags into dir/name, runs it, checks its report. */
function buildAndRun(t: Test, name: string, flags: string[], env: NodeJS.ProcessEnv = {}): void {
  const bin = join(dir, name);
  const cc = spawnSync('cc', [...BASE_FLAGS, ...flags, ...harnessSources, '-o', bin], { encoding: 'utf8' });
  t.equal(cc.status, 0, `cc ${name} builds with -Wall -Wextra -Werror`, { stderr: cc.stderr });
  if (cc.status !== 0) return;
  const r = spawnSync(bin, [], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
  const out = r.stdout ?? '';
  const summary = /^harness: (\d+) checks, (\d+) failed$/m.exec(out);
  const oks = out.split('\n').filter((l) => /^ok \d+ - /.test(l));
  t.equal(r.status, 0, `${name} exits 0`, { stdout: out, stderr: r.stderr });
  t.notMatch(out, /^not ok /m, `${name}: no check failed`);
  t.ok(summary, `${name} prints its summary line`);
  t.equal(Number(summary?.[2]), 0, `${name}: 0 failed`);
  t.equal(oks.length, Number(summary?.[1]), `${name}: one ok line per check`);
  t.ok(oks.length >= 50, `${name} ran its checks (${oks.length})`);
  for (const what of [
    'slot indexes wrap to 0 after the last slot',
    'every slot, big slot and the staging area lie inside the region',
    'a TX queue of 4 takes 4 frames',
    'a full TX queue refuses the 5th frame',
    'TX: a frame one byte past the region',
    'RX: a frame longer than a big slot is refused',
    'release gives every read slot back to the kernel',
  ]) {
    t.ok(
      oks.some((l) => l.includes(what)),
      `${name} checked: ${what}`,
    );
  }
  t.notMatch(r.stderr ?? '', /Sanitizer|runtime error/, `${name}: no sanitizer report`);
}

t.test('the C harness (ring arithmetic, TX bounds) passes built with -Werror', { skip: noCc }, async (t) => {
  buildAndRun(t, 'harness', ['-O2']);
});

t.test('the C harness passes under AddressSanitizer and UndefinedBehaviorSanitizer', { skip: noCc }, async (t) => {
  buildAndRun(t, 'harness-asan', SANITIZE, { ASAN_OPTIONS: 'detect_leaks=1', UBSAN_OPTIONS: 'print_stacktrace=1' });
});

t.test('src/io/native-stats.ts is what native/gen-stats.mjs writes from native/stats-columns.h', async (t) => {
  const r = spawnSync(process.execPath, [genStats, '--check'], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr.trim() || 'up to date');
  t.match(r.stdout, /is up to date/);
});

t.test('an addon is refused when its stats columns differ from the TypeScript ones', async (t) => {
  t.equal(statColumnsMismatch([...NATIVE_STAT_COLUMNS]), null);
  t.match(statColumnsMismatch(undefined), /does not report its stats columns/);
  const last = NATIVE_STAT_COLUMNS[NATIVE_STAT_COLUMNS.length - 1];
  t.match(statColumnsMismatch([...NATIVE_STAT_COLUMNS].reverse()), new RegExp(`its stats columns are ${last},`));
  t.match(statColumnsMismatch(NATIVE_STAT_COLUMNS.slice(1)), /src\/io\/native-stats.ts has rxFrames,/);
});

const nat = tryLoadNative();
const noNative = nat === null ? (nativeLoadError() ?? 'addon not built') : false;

t.test('the built addon reports the columns of native-stats.ts', { skip: noNative }, async (t) => {
  t.same(nat?.statColumns, NATIVE_STAT_COLUMNS);
});

/** Opens lo with a small ring. */
function openLo(b: NativeBinding): NativeOpened {
  return b.open(['lo'], { ringBytes: 1 << 16, stageBytes: 4096, bigSlots: 1 });
}

/** Why AF_PACKET cannot be opened here (no addon, no CAP_NET_RAW), or false. */
function cannotOpen(): string | false {
  if (nat === null) return noNative;
  try {
    nat.close(openLo(nat).handle);
    return false;
  } catch (e) {
    return `cannot open AF_PACKET on lo: ${(e as Error).message}`;
  }
}
const noOpen = cannotOpen();

const fdCount = (): number => readdirSync('/proc/self/fd').length;

t.test('a failed open releases the sockets of the ports opened before the failing one', { skip: noOpen }, async (t) => {
  const b = nat as NativeBinding;
  const before = fdCount();
  for (let i = 0; i < 20; i++) {
    t.throws(() => b.open(['lo', 'lo', 'tsvs-no-such0'], { ringBytes: 1 << 16 }), { code: 'ENODEV' });
    t.throws(() => b.open(['lo', 'x'.repeat(20)], { ringBytes: 1 << 16 }), { code: 'ENODEV' });
  }
  t.equal(fdCount(), before, 'no file descriptor left behind by 40 failed opens');
});

t.test('every call with a closed handle throws EBADF; closing twice is fine', { skip: noOpen }, async (t) => {
  const b = nat as NativeBinding;
  const o = openLo(b);
  const arrays = (): [Int32Array, Int32Array, Uint8Array, Uint8Array] => [
    new Int32Array(4),
    new Int32Array(4),
    new Uint8Array(4),
    new Uint8Array(4),
  ];
  b.setArrays(o.handle, ...arrays(), ...arrays());
  t.equal(b.stats(o.handle).length, NATIVE_STAT_COLUMNS.length, 'one row of stats while open');
  t.equal(b.send(o.handle, 0), 0, 'send works while open');
  b.close(o.handle);
  t.doesNotThrow(() => b.close(o.handle), 'a second close does nothing');
  const calls: Record<string, () => unknown> = {
    send: () => b.send(o.handle, 1),
    copyIn: () => b.copyIn(o.handle, Buffer.alloc(16), 0, o.stageOff, 16),
    stats: () => b.stats(o.handle),
    loopStats: () => b.loopStats(o.handle),
    setArrays: () => b.setArrays(o.handle, ...arrays(), ...arrays()),
    start: () => b.start(o.handle, () => 0, 1),
  };
  for (const [name, call] of Object.entries(calls)) {
    t.throws(call, { code: 'EBADF', message: `${name}: tsvs native handle is closed` }, `${name} after close`);
  }
});
