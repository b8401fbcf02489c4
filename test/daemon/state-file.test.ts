// The state file on a real mapping: a child process (fixtures/state-writer.ts) opens connections
// and is killed with SIGKILL; this process attaches, or refuses what it must refuse.

import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import { ConnManager } from '../../src/conn/conn-manager.ts';
import { connLayout } from '../../src/conn/conn-layout.ts';
import { restoreConns } from '../../src/conn/conn-restore.ts';
import { defaultStateFile, openConnState } from '../../src/daemon/state-file.ts';
import { tryLoadNative, nativeLoadError } from '../../src/io/native-binding.ts';
import { IPPROTO_TCP } from '../../src/lib/inet.ts';
import { Logger } from '../../src/lib/logger.ts';
import { addDest, ip, makeSvc } from '../conn/helpers.ts';

const CAP = 256;
const writer = fileURLToPath(new URL('./fixtures/state-writer.ts', import.meta.url));
const noNative = tryLoadNative() === null ? `the native addon is needed: ${nativeLoadError() ?? ''}` : false;
const dir = mkdtempSync(join(tmpdir(), 'tsvs-state-file-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

function logger(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  return { log: new Logger({ write: (l) => lines.push(l) }), lines };
}

/** Run the writer until it reports; the caller kills it. */
async function write(path: string, n: number): Promise<{ child: ChildProcess; ids: number[] }> {
  const child = spawn(process.execPath, ['--import', 'tsx', writer, path, String(CAP), String(n)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: string) => {
      out += d;
      if (out.includes('\n')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`the writer exited with ${code}`)));
  });
  return { child, ids: (JSON.parse(out) as { ids: number[] }).ids };
}

async function kill9(child: ChildProcess): Promise<void> {
  const gone = once(child, 'exit');
  child.kill('SIGKILL');
  await gone;
}

function restore(memory: ArrayBuffer): { m: ConnManager; kept: number } {
  const svc = makeSvc(IPPROTO_TCP, '192.168.88.5', 80);
  addDest(svc, '192.168.99.100');
  addDest(svc, '192.168.99.200');
  const m = new ConnManager({ capacity: CAP, memory, startMs: Date.now() });
  const st = restoreConns(
    m,
    (p, a, port) => (p === svc.protocol && a === svc.addr && port === svc.port ? svc : null),
    Date.now(),
  );
  return { m, kept: st.kept };
}

t.test('the default state file sits beside the control socket', async (t) => {
  t.equal(defaultStateFile('/run/tsvs/tsvsd.sock'), '/run/tsvs/tsvsd.conn-state');
  t.equal(defaultStateFile('/tmp/x/ctl'), '/tmp/x/ctl.conn-state');
});

t.test(
  'connections written by a process killed with SIGKILL are all there for the next',
  { skip: noNative },
  async (t) => {
    const path = join(dir, 'kill9.conn-state');
    const first = logger();
    const { child, ids } = await write(path, 20);
    const held = openConnState(path, CAP, first.log);
    t.equal(held, null, 'while the writer runs, the file is not shared');
    t.match(first.lines.join(''), /cannot use the state file.*another process holds it/);
    await kill9(child);
    t.equal(statSync(path).size, connLayout(CAP).totalBytes);
    copyFileSync(path, join(dir, 'pristine'));
    const { log, lines } = logger();
    const st = openConnState(path, CAP, log);
    t.ok(st !== null && st.attach, 'attached');
    t.same(lines, [], 'nothing to warn about');
    const { m, kept } = restore(st!.memory);
    t.equal(kept, 20);
    ids.forEach((id, k) => t.equal(m.lookupIn(IPPROTO_TCP, ip('10.0.0.1'), 1000 + k, ip('192.168.88.5'), 80), id));
  },
);

t.test(
  'a new, corrupt, foreign or truncated file gives an empty table and a log line why',
  { skip: noNative },
  async (t) => {
    const pristine = readFileSync(join(dir, 'pristine'));
    const layout = connLayout(CAP);
    const cases: { name: string; make: (p: string) => void; reason: RegExp; level: string }[] = [
      { name: 'missing', make: () => {}, reason: /it is new/, level: 'info' },
      {
        name: 'header checksum',
        make: (p) => {
          const b = Buffer.from(pristine);
          b[25] = b[25]! ^ 0xff;
          writeFileSync(p, b);
        },
        reason: /its header checksum does not match/,
        level: 'warn',
      },
      {
        name: 'layout version',
        make: (p) => {
          const b = Buffer.from(pristine);
          b.writeUInt32LE(999, 8);
          writeFileSync(p, b);
        },
        reason: /its layout version is 999, this build's is \d+/,
        level: 'warn',
      },
      {
        name: 'magic',
        make: (p) => writeFileSync(p, Buffer.concat([Buffer.from('NOTTSVS!'), pristine.subarray(8)])),
        reason: /its magic is not TSVSCONN/,
        level: 'warn',
      },
      {
        name: 'truncated',
        make: (p) => {
          writeFileSync(p, pristine);
          truncateSync(p, 5000);
        },
        reason: new RegExp(`it had 5000 bytes, this layout and capacity need ${layout.totalBytes}`),
        level: 'warn',
      },
    ];
    for (const c of cases) {
      const p = join(dir, `case-${c.name.replace(/ /g, '-')}`);
      c.make(p);
      const { log, lines } = logger();
      const st = openConnState(p, CAP, log);
      t.ok(st !== null && !st.attach, `${c.name}: not attached`);
      t.match(
        lines.join(''),
        new RegExp(`level=${c.level}.*starting with an empty connection table`),
        `${c.name}: logged`,
      );
      t.match(lines.join(''), c.reason, `${c.name}: with the reason`);
      const flags = new Uint32Array(st!.memory, layout.offsets.get('flags')!, CAP);
      t.equal(
        flags.every((f) => f === 0),
        true,
        `${c.name}: no entry is left to forward with`,
      );
    }
    const other = join(dir, 'capacity');
    writeFileSync(other, pristine);
    const { log, lines } = logger();
    const st = openConnState(other, CAP * 2, log);
    t.ok(st !== null && !st.attach, 'another conn-capacity: not attached');
    t.match(lines.join(''), /it had \d+ bytes, this layout and capacity need/);
  },
);
