// The IPv4 half of bench/pipeline.bench.ts: the service 192.168.88.5:80 with two real servers,
// CONNS established connections made by SYNs through the pipeline, and a batch alternating client
// ACKs (in) and server ACKs (out) over them: 60-byte TCP ACK frames (padded to the Ethernet
// minimum). With FWD_FULLNAT the real servers answer the connection's local address and port; for
// NAT those are the client's. pipeline6-batch.ts is the same over IPv6.

import type { Engine } from '../src/datapath/engine.ts';
import { RxBatch } from '../src/datapath/packet-io.ts';
import { AF_INET, FWD_MASQ } from '../src/model/dest.ts';
import { IPPROTO_TCP } from '../src/lib/inet.ts';
import type { ServiceTable } from '../src/model/service-table.ts';
import { SVC_F_SYNPROXY_NEVER } from '../src/model/synproxy-state.ts';
import { buildFrame, ipToU32, u32ToIp } from '../test/helpers/frames.ts';
import { openBySyns } from './pipeline-open.ts';

export const VIP4 = '192.168.88.5';
export const CIP4 = '192.168.88.10';
const RIPS4 = ['192.168.99.100', '192.168.99.200'];
const LVS0 = '02:00:00:00:00:01';
const LVS1 = '02:00:00:00:00:02';
const SLOT = 64;

/** Add VIP4:80 with two real servers, masquerading or full NAT (fwd). */
export function addService4(table: ServiceTable, fwd = FWD_MASQ): void {
  const key = { af: AF_INET, protocol: IPPROTO_TCP, addr: ipToU32(VIP4), port: 80, fwmark: 0 };
  // SYN proxy off: its automatic mode engages at 256 embryonic entries and would answer most of the
  // 1,024 SYNs with cookies, leaving those flows without a connection (their ACKs then measure a drop).
  table.addService({
    ...key,
    schedName: 'wlc',
    flags: SVC_F_SYNPROXY_NEVER,
    timeoutSec: 0,
    netmask: 0xffffffff,
    peName: '',
  });
  for (const r of RIPS4)
    table.addDest(key, { af: AF_INET, addr: ipToU32(r), port: 80, fwd, weight: 1, uThreshold: 0, lThreshold: 0 });
}

/**
 * Learn the client's and the real servers' MACs, open `conns` connections, return the ACK batch
 * (fullNat: the service's real servers are FWD_FULLNAT).
 */
export function makeBatch4(
  engine: Engine,
  size: number,
  conns: number,
  now: number,
  mac: (i: number) => Buffer,
  fullNat: boolean,
): { batch: RxBatch; pristine: Buffer } {
  engine.xmit.neigh.learn(ipToU32(CIP4), 0, mac(10), 0, now);
  RIPS4.forEach((r, i) => engine.xmit.neigh.learn(ipToU32(r), 1, mac(i), 0, now));
  // Establish the connections with a SYN each.
  openBySyns(engine, size, conns, now, SLOT, (sport) =>
    buildFrame({
      dstMac: LVS0,
      srcMac: '02:00:00:00:09:0a',
      src: CIP4,
      dst: VIP4,
      proto: 'tcp',
      sport,
      dport: 80,
      flags: 'S',
    }),
  );
  const batch = new RxBatch(size);
  const pristine = Buffer.alloc(size * SLOT);
  for (let i = 0; i < size; i++) {
    const c = (i * 7) % conns;
    const cport = 10000 + c;
    const id = engine.conns.lookupIn(IPPROTO_TCP, ipToU32(CIP4), cport, ipToU32(VIP4), 80);
    const t = engine.conns.table;
    const rip = u32ToIp(t.daddr[id]!);
    // A real server answers the client (NAT) or the local address and port (full NAT).
    const replyTo = fullNat ? u32ToIp(t.laddr[id]!) : CIP4;
    const replyPort = fullNat ? t.lport[id]! : cport;
    const f =
      i % 2 === 0
        ? buildFrame({
            dstMac: LVS0,
            srcMac: '02:00:00:00:09:0a',
            src: CIP4,
            dst: VIP4,
            proto: 'tcp',
            sport: cport,
            dport: 80,
            flags: 'A',
            pad: 6,
          })
        : buildFrame({
            dstMac: LVS1,
            srcMac: '02:00:00:00:09:00',
            src: rip,
            dst: replyTo,
            proto: 'tcp',
            sport: 80,
            dport: replyPort,
            flags: 'A',
            pad: 6,
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
