// The IPv6 half of bench/pipeline.bench.ts: an IPv6 service on the same engine, CONNS established
// NAT66 connections made by SYNs through the pipeline, and a batch alternating client ACKs (in)
// and server ACKs (out) over them, the same shape as the IPv4 batch (60-byte TCP ACK frames
// there, 74-byte ones here: the IPv6 header is 20 bytes longer). With FWD_FULLNAT the real
// servers answer the connection's local address and port (FNAT66); for NAT66 those are the
// client's, so one frame builder serves both.

import type { Engine } from '../src/datapath/engine.ts';
import { RxBatch } from '../src/datapath/packet-io.ts';
import { AF_INET6, FWD_MASQ } from '../src/model/dest.ts';
import { IPPROTO_TCP } from '../src/lib/inet.ts';
import { formatInet6, inet6Fold, parseInet6 } from '../src/lib/inet6.ts';
import type { ServiceTable } from '../src/model/service-table.ts';
import { SVC_F_SYNPROXY_NEVER } from '../src/model/synproxy-state.ts';
import { buildFrame6 } from '../test/helpers/frames6.ts';
import { openBySyns } from './pipeline-open.ts';

export const VIP6 = '2001:db8:88::5';
export const CIP6 = '2001:db8:88::10';
const RIPS6 = ['2001:db8:99::100', '2001:db8:99::200'];
const SLOT = 96;

/** Add [VIP6]:80 with two real servers (masquerading unless fwd says), as the IPv4 service of the bench. */
export function addService6(table: ServiceTable, fwd = FWD_MASQ): void {
  const vip = parseInet6(VIP6)!;
  const key = { af: AF_INET6, protocol: IPPROTO_TCP, addr: inet6Fold(vip), addr6: vip, port: 80, fwmark: 0 };
  // The SYN proxy off, as for the IPv4 service (its auto mode would answer most set-up SYNs with cookies).
  table.addService({ ...key, schedName: 'wlc', flags: SVC_F_SYNPROXY_NEVER, timeoutSec: 0, netmask: 128, peName: '' });
  for (const r of RIPS6)
    table.addDest(key, {
      af: AF_INET6,
      addr: inet6Fold(parseInet6(r)!),
      addr6: parseInet6(r)!,
      port: 80,
      fwd,
      weight: 1,
      uThreshold: 0,
      lThreshold: 0,
    });
}

/** Learn the client's and the real servers' MACs, open `conns` connections, return the ACK batch. */
export function makeBatch6(
  engine: Engine,
  size: number,
  conns: number,
  now: number,
  mac: (i: number) => Buffer,
): { batch: RxBatch; pristine: Buffer } {
  const v6 = engine.v6!;
  v6.x6.learn(parseInet6(CIP6)!, 0, mac(10), 0, now);
  RIPS6.forEach((r, i) => v6.x6.learn(parseInet6(r)!, 1, mac(i), 0, now));
  openBySyns(engine, size, conns, now, SLOT, (sport) =>
    buildFrame6({ src: CIP6, dst: VIP6, proto: 'tcp', sport, dport: 80, flags: 'S' }),
  );
  const batch = new RxBatch(size);
  const pristine = Buffer.alloc(size * SLOT);
  const cip = parseInet6(CIP6)!;
  const vip = parseInet6(VIP6)!;
  for (let i = 0; i < size; i++) {
    const c = (i * 7) % conns;
    const cport = 10000 + c;
    const id = v6.cm.lookupIn(IPPROTO_TCP, cip, cport, vip, 80);
    if (id < 0) throw new Error(`IPv6 connection from port ${cport} was not made`);
    const rip = formatInet6(v6.cm.t6.daddr6.slice(id * 4, id * 4 + 4));
    const laddr = formatInet6(v6.cm.t6.laddr6.slice(id * 4, id * 4 + 4));
    const f =
      i % 2 === 0
        ? buildFrame6({ src: CIP6, dst: VIP6, proto: 'tcp', sport: cport, dport: 80, flags: 'A' })
        : buildFrame6({
            dstMac: '02:00:00:00:00:02',
            srcMac: '02:00:00:00:09:00',
            src: rip,
            dst: laddr,
            proto: 'tcp',
            sport: 80,
            dport: v6.cm.t6.table.lport[id]!,
            flags: 'A',
          });
    f.copy(pristine, i * SLOT);
    batch.off[i] = i * SLOT;
    batch.len[i] = f.length;
    batch.port[i] = i % 2 === 0 ? 0 : 1;
  }
  batch.count = size;
  batch.buf = Buffer.alloc(pristine.length);
  return { batch, pristine };
}
