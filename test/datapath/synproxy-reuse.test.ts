// The SYN proxy meeting a client that reuses its port (Connection: close at a high rate): the old
// proxied connection is in TIME_WAIT, the new SYN is answered by a cookie (no state), and the ACK
// proving that cookie must open a new connection toward the real server, not be translated with
// the old connection's deltas into the real server's TIME_WAIT (ip_vs_in's conn_reuse_mode path,
// with the old entry gone as after the kernel's ip_vs_conn_expire_now()).
import t from 'tap';
import { connStateName } from '../../src/conn/proto-state.ts';
import { SVC_F_SYNPROXY_ALWAYS } from '../../src/model/synproxy-state.ts';
import { buildFrame, ipToU32 } from '../helpers/frames.ts';
import { CIP, CMAC, engineLab, LVS0, LVS1, VIP } from '../helpers/engine-lab.ts';

const RIP = '192.168.99.100';
const WMAC = '02:00:00:00:99:64';

// Offsets in an untagged IPv4 frame without IP options.
const TCP_OFF = 14 + 20;
const seqOf = (fr: Buffer): number => fr.readUInt32BE(TCP_OFF + 4);
const ackOf = (fr: Buffer): number => fr.readUInt32BE(TCP_OFF + 8);
const flagsOf = (fr: Buffer): number => fr[TCP_OFF + 13]!;
const SYN = 0x02;
const ACK = 0x10;

t.test('a reused client port after TIME_WAIT: the cookie ACK opens a new connection to the real server', async (t) => {
  const l = engineLab({
    dests: [{ ip: RIP, mac: WMAC, weight: 1 }],
    serviceFlags: SVC_F_SYNPROXY_ALWAYS,
    startMs: 1_000_000,
  });
  const send = (port: number, frame: Buffer): { port: number; frame: Buffer }[] => {
    l.io.sent.length = 0;
    l.io.inject(port, frame);
    l.io.deliver();
    return l.io.sent.map((s) => ({ port: s.port, frame: Buffer.from(s.frame) }));
  };
  const cli = { dstMac: LVS0, srcMac: CMAC, src: CIP, dst: VIP, proto: 'tcp' as const, sport: 40000, dport: 80 };
  const srv = { dstMac: LVS1, srcMac: WMAC, src: RIP, dst: CIP, proto: 'tcp' as const, sport: 80, dport: 40000 };

  /** SYN, cookie SYN-ACK, ACK, server SYN-ACK (ISN srvIsn): the proxied connection established. */
  const handshake = (isn: number, srvIsn: number): number => {
    const synack = send(0, buildFrame({ ...cli, flags: 'S', seq: isn }));
    t.equal(synack.length, 1, 'the director answers the SYN itself');
    t.equal(flagsOf(synack[0]!.frame), SYN | ACK);
    const cookie = seqOf(synack[0]!.frame);
    const toRs = send(0, buildFrame({ ...cli, flags: 'A', seq: isn + 1, ack: cookie + 1 }));
    t.equal(toRs.length, 1, 'the cookie ACK makes one frame');
    t.equal(toRs[0]!.port, 1, 'toward the real server');
    t.equal(flagsOf(toRs[0]!.frame), SYN, 'a SYN, not the ACK translated into an old connection');
    t.equal(seqOf(toRs[0]!.frame), isn, 'with the client ISN');
    const last = send(1, buildFrame({ ...srv, flags: 'SA', seq: srvIsn, ack: isn + 1 }));
    t.equal(last.length, 1, 'the director completes the server side');
    t.equal(ackOf(last[0]!.frame), (srvIsn + 1) >>> 0);
    return cookie;
  };

  const c = ipToU32(CIP) | 0,
    v = ipToU32(VIP) | 0;
  const cookie1 = handshake(1000, 7000);
  // Connection: close: the server closes first, the client answers, the director's entry is in TIME_WAIT.
  const fin = send(1, buildFrame({ ...srv, flags: 'FA', seq: 7001, ack: 1001 }));
  t.equal(seqOf(fin[0]!.frame), (cookie1 + 1) >>> 0, 'the server FIN in the client numbering');
  send(0, buildFrame({ ...cli, flags: 'FA', seq: 1001, ack: cookie1 + 2 }));
  send(1, buildFrame({ ...srv, flags: 'A', seq: 7002, ack: 1002 }));
  const old = l.engine.conns.lookupIn(6, c, 40000, v, 80);
  t.equal(connStateName(l.engine.conns.table, old), 'TIME_WAIT');

  // The same port again at once, with a new ISN and a real server with a new ISN.
  const cookie2 = handshake(500_000, 90_000);
  const id = l.engine.conns.lookupIn(6, c, 40000, v, 80);
  t.not(id, -1);
  t.equal(connStateName(l.engine.conns.table, id), 'ESTABLISHED', 'the new connection is established');
  // Its data is translated with the new connection's deltas.
  const reply = send(1, buildFrame({ ...srv, flags: 'PA', seq: 90_001, ack: 500_001, payload: 'HTTP/1.0 200' }));
  t.equal(reply.length, 1);
  t.equal(seqOf(reply[0]!.frame), (cookie2 + 1) >>> 0, 'server data at the new cookie ISN + 1');
  t.equal(l.engine.pipeline.synproxy.cookiesValidated, 2);
  t.equal(l.engine.pipeline.synproxy.cookiesFailed, 0);
});
