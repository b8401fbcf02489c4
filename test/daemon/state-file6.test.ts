// The IPv6 table's state file on a real mapping (openConnState with CONN6_SPEC): a file a previous
// process left is attached and restored, an IPv4 file, one of another capacity and a corrupt one
// become an empty table with the reason logged.

import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connLayout, encodeHeader } from '../../src/conn/conn-layout.ts';
import { CONN6_COLUMNS, CONN6_SPEC } from '../../src/conn/conn-layout6.ts';
import { ConnManager6 } from '../../src/conn/conn-manager6.ts';
import { restoreConns6 } from '../../src/conn/conn-restore6.ts';
import { TCP_SYN } from '../../src/conn/proto-tcp.ts';
import { DIR_INPUT } from '../../src/conn/direction.ts';
import { openConnState, stateFile6 } from '../../src/daemon/state-file.ts';
import { tryLoadNative, nativeLoadError } from '../../src/io/native-binding.ts';
import { AF_INET6, Dest, FWD_MASQ } from '../../src/model/dest.ts';
import { SchedInput } from '../../src/model/scheduler.ts';
import { Service } from '../../src/model/service.ts';
import { IPPROTO_TCP } from '../../src/lib/inet.ts';
import { inet6Equal, inet6Fold, parseInet6 } from '../../src/lib/inet6.ts';
import { Logger } from '../../src/lib/logger.ts';
import { RrScheduler } from '../../src/sched/rr.ts';

const CAP = 128;
const native = tryLoadNative();
const noNative = native === null ? `the native addon is needed: ${nativeLoadError() ?? ''}` : false;
const dir = mkdtempSync(join(tmpdir(), 'tsvs-state-file6-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const VIP = parseInet6('2001:db8:88::5')!;
const CIP = parseInet6('2001:db8:88::10')!;

function service(): Service {
  const svc = new Service(AF_INET6, IPPROTO_TCP, 0, 80, 0, 'rr', new RrScheduler(), VIP);
  const d = new Dest(AF_INET6, 0, 80, parseInet6('2001:db8:99::100')!);
  d.fwd = FWD_MASQ;
  d.weight = 1;
  svc.dests.push(d);
  svc.sched.init(svc);
  return svc;
}

function logger(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  return { log: new Logger({ write: (l) => lines.push(l) }), lines };
}

t.test('the IPv6 state file sits beside the IPv4 one', async (t) => {
  t.equal(stateFile6('/run/tsvs/tsvsd.conn-state'), '/run/tsvs/tsvsd.conn-state6');
});

t.test('a file a previous process left is attached and its IPv6 connection restored', { skip: noNative }, async (t) => {
  // The previous process's file: its header and one connection, as its mapping left them.
  const layout = connLayout(CAP, CONN6_COLUMNS);
  const image = new ArrayBuffer(layout.totalBytes);
  new Uint8Array(image).set(encodeHeader(layout, CONN6_SPEC));
  const old = new ConnManager6({ capacity: CAP, memory6: image, startMs: Date.now() });
  const inp = new SchedInput();
  inp.set(IPPROTO_TCP, inet6Fold(CIP), 40000, inet6Fold(VIP), 80, Date.now());
  const id = old.schedule(service(), inp, TCP_SYN, CIP, VIP);
  old.conns.onPacket(id, DIR_INPUT, TCP_SYN, Date.now());
  const path = join(dir, 'good.conn-state6');
  writeFileSync(path, new Uint8Array(image));
  const { log } = logger();
  const st = openConnState(path, CAP, log, 0, native, CONN6_SPEC);
  t.equal(st?.attach, true, 'attached');
  const m = new ConnManager6({ capacity: CAP, memory6: st!.memory, startMs: Date.now() });
  const svc = service();
  const res = restoreConns6(m, (_p, a, port) => (inet6Equal(a, svc.addr6) && port === 80 ? svc : null), Date.now());
  t.equal(res.connections, 1);
  t.equal(m.lookupIn(IPPROTO_TCP, CIP, 40000, VIP, 80), id, 'found by its 128-bit tuple');
});

t.test(
  'an IPv4 file, another capacity or a bad checksum: an empty IPv6 table, logged',
  { skip: noNative },
  async (t) => {
    const layout = connLayout(CAP, CONN6_COLUMNS);
    const cases: [string, Uint8Array, string][] = [];
    const v4 = new Uint8Array(layout.totalBytes);
    v4.set(encodeHeader(connLayout(CAP)));
    cases.push(['ipv4', v4, 'its magic is not TSVSCON6']);
    const big = connLayout(CAP * 2, CONN6_COLUMNS);
    const other = new Uint8Array(big.totalBytes);
    other.set(encodeHeader(big, CONN6_SPEC));
    cases.push([
      'capacity',
      other,
      `it had ${big.totalBytes} bytes, this layout and capacity need ${layout.totalBytes}`,
    ]);
    const bad = new Uint8Array(layout.totalBytes);
    bad.set(encodeHeader(layout, CONN6_SPEC));
    bad[24] = bad[24]! ^ 0xff;
    cases.push(['checksum', bad, 'its header checksum does not match']);
    for (const [name, bytes, reason] of cases) {
      const path = join(dir, `${name}.conn-state6`);
      writeFileSync(path, bytes);
      const { log, lines } = logger();
      const st = openConnState(path, CAP, log, 0, native, CONN6_SPEC);
      t.equal(st?.attach, false, `${name}: not attached`);
      t.equal(st?.fresh, reason, `${name}: ${reason}`);
      t.match(lines.join('\n'), reason, `${name}: the reason is logged`);
      t.equal(
        new TextDecoder().decode(new Uint8Array(st!.memory, 0, 8)),
        'TSVSCON6',
        `${name}: rewritten as an IPv6 file`,
      );
    }
  },
);
