// The SYN proxy for IPv6 services through the whole engine (MemoryIo), golden frames, in NAT66
// and FNAT66: a SYN answered with a cookie SYN-ACK (MSS 1500 - 60, SACK, timestamps, window
// scale as for IPv4), the proven ACK turned into a SYN to the real server carrying the MSS of
// net/ipv6/syncookies.c's msstab, the server's SYN-ACK answered by the director, the data kept
// meanwhile delivered, seq/ack, SACK, timestamp and window translation both ways, the RST and
// bad-cookie drops counted under IPv4's names. Expected frames come from test/helpers/frames6.ts
// (checksums summed naively over the IPv6 pseudo-header) and the cookie from an independent
// BigInt SipHash-1-3 over the 40 bytes of the kernel's IPv6 cookie_hash() struct written out here.
import t from 'tap';
import { Engine } from '../../src/datapath/engine.ts';
import { MemoryIo } from '../../src/io/memory-io.ts';
import { connStateName } from '../../src/conn/proto-state.ts';
import { IPPROTO_TCP } from '../../src/lib/inet.ts';
import { parseInet6 } from '../../src/lib/inet6.ts';
import { DROP_SYNPROXY_BAD_COOKIE, DROP_SYNPROXY_BAD_RST } from '../../src/lib/drops.ts';
import { FWD_FULLNAT, FWD_MASQ } from '../../src/model/dest.ts';
import { ServiceTable } from '../../src/model/service-table.ts';
import { SVC_F_SYNPROXY_ALWAYS, SVC_F_SYNPROXY_NEVER } from '../../src/model/synproxy-state.ts';
import { findScheduler } from '../../src/sched/registry.ts';
import { addr6Bytes, buildFrame6, nd, type Frame6Spec } from '../helpers/frames6.ts';
import { CIP6, DIP6, VIP6, addService6, config6, dest6 } from '../helpers/engine-lab6.ts';
import { hex } from '../helpers/frames.ts';
import { CMAC, LVS0, LVS1, W1MAC } from '../helpers/engine-lab.ts';
import { cookieKey, refCookie, refTsval, sip13 } from '../helpers/cookie-ref.ts';

const WMAC = W1MAC;
const RIP6 = '2001:db8:99::100';
const LADDR6 = '2001:db8:99::250';
const LPORT = 5000;
const NOW = 1_000_000; // minute 16
const KEY = Uint32Array.from([1, 2, 3, 4, 5, 6, 7, 8]);

// --- reference cookie: hsiphash (test/helpers/cookie-ref.ts) of the IPv6 struct, syncookies.c's sum
/** cookie_hash() of net/ipv6/syncookies.c: { saddr, daddr, u32 count, __be16 sport, __be16 dport }. */
function refHash(s: string, d: string, sp: number, dp: number, count: number, c: number): number {
  const tail = Buffer.alloc(8);
  tail.writeUInt32LE(count, 0);
  tail.writeUInt16BE(sp, 4);
  tail.writeUInt16BE(dp, 6);
  return sip13(Buffer.concat([addr6Bytes(s), addr6Bytes(d), tail]), ...cookieKey(KEY, c));
}

const u32 = (n: number): number[] => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
/** Linux's SYN options: MSS, SACK_PERM + TS, NOP WS. */
const synOpts = (mss: number, tsval: number, tsecr: number, ws: number): Uint8Array =>
  Uint8Array.from([2, 4, mss >> 8, mss & 255, 4, 2, 8, 10, ...u32(tsval), ...u32(tsecr), 1, 3, 3, ws]);
const tsOpts = (tsval: number, tsecr: number): number[] => [1, 1, 8, 10, ...u32(tsval), ...u32(tsecr)];

function lab(fullNat: boolean, serviceFlags = SVC_F_SYNPROXY_ALWAYS) {
  const io = new MemoryIo([
    { name: 'eth0', mac: LVS0 },
    { name: 'eth1', mac: LVS1 },
  ]);
  const cfg = config6(fullNat ? { fullNatAddrs6: [parseInet6(LADDR6)!], fullNatPorts: [LPORT, LPORT] } : {});
  const services = new ServiceTable({ findScheduler });
  addService6(services, IPPROTO_TCP, 80, [dest6(RIP6, 8080, fullNat ? FWD_FULLNAT : FWD_MASQ)], serviceFlags);
  const engine = new Engine(io, cfg, services, { now: () => NOW });
  engine.start();
  engine.v6!.synproxy.cookies.useFixedKey(KEY);
  const send = (port: number, frame: Buffer): string[] => {
    io.sent.length = 0;
    io.inject(port, frame);
    io.deliver();
    return io.sent.map((s) => `${s.port} ${hex(s.frame)}`);
  };
  // The director learns the client (its NS for the VIP6) and, in full NAT, the real server (its NS
  // for the LADDR6); in NAT66 the first frame toward the real server waits for its NA (firstToRs).
  send(0, nd(135, CIP6, 'ff02::1:ff00:5', VIP6, CMAC, '33:33:ff:00:00:05'));
  if (fullNat) send(1, nd(135, RIP6, 'ff02::1:ff00:250', LADDR6, WMAC, '33:33:ff:00:02:50'));
  /** The frames sent for the first one toward the real server, after NS / NA when it had to resolve. */
  const firstToRs = (port: number, frame: Buffer): string[] => {
    const out = send(port, frame);
    if (out.length !== 1 || !out[0]!.startsWith('1 3333ff')) return out;
    return send(1, nd(136, RIP6, DIP6, RIP6, WMAC, LVS1, 0x60));
  };
  return { io, engine, send, firstToRs };
}

const cli: Frame6Spec = { src: CIP6, dst: VIP6, srcMac: CMAC, dstMac: LVS0, proto: 'tcp', sport: 40000, dport: 80 };
const toCli: Frame6Spec = { src: VIP6, dst: CIP6, srcMac: LVS0, dstMac: CMAC, proto: 'tcp', sport: 80, dport: 40000 };

for (const fullNat of [false, true]) {
  t.test(
    `${fullNat ? 'FNAT66' : 'NAT66'}: cookie handshake, SYN to the real server, translation both ways`,
    async (t) => {
      const { engine, send, firstToRs } = lab(fullNat);
      const v6 = engine.v6!;
      // The client's MSS 1440 is msstab[2] (1500 - 60): the cookie carries index 2.
      const cookie = refCookie((n, k) => refHash(CIP6, VIP6, 40000, 80, n, k), 1000, 2, Math.floor(NOW / 60000));
      const cts = refTsval(NOW, 7 | 16);

      // 1. SYN -> the director's cookie SYN-ACK: MSS 1440, SACK_PERM + TS (TSecr = the client's), WS 7.
      const synack = send(0, buildFrame6({ ...cli, flags: 'S', seq: 1000, tcpOptions: synOpts(1440, 5000, 0, 7) }));
      const wantSynack = buildFrame6({
        ...toCli,
        flags: 'SA',
        seq: cookie,
        ack: 1001,
        window: 65535,
        hopLimit: 64,
        tcpOptions: synOpts(1440, cts, 5000, 7),
      });
      t.same(synack, [`0 ${hex(wantSynack)}`], 'the cookie SYN-ACK, byte for byte (IPv6 pseudo-header checksum)');
      t.equal(v6.cm.conns.count, 0, 'no state for a SYN');

      // 2. The client's ACK proves the cookie -> SYN to the real server with the client's ISN and options.
      const syn = firstToRs(
        0,
        buildFrame6({
          ...cli,
          flags: 'A',
          seq: 1001,
          ack: cookie + 1,
          window: 502,
          tcpOptions: Uint8Array.from(tsOpts(5001, cts)),
        }),
      );
      t.equal(syn.length, 1);
      const toRs: Frame6Spec = {
        src: fullNat ? LADDR6 : CIP6,
        dst: RIP6,
        srcMac: LVS1,
        dstMac: WMAC,
        proto: 'tcp',
        sport: fullNat ? LPORT : 40000,
        dport: 8080,
        hopLimit: 63,
      };
      const tsd = fullNat ? NOW - 5001 : 0; // full NAT's own client-TSval translation (tcp-timestamp.ts)
      t.same(
        syn,
        [
          `1 ${hex(buildFrame6({ ...toRs, flags: 'S', seq: 1000, ack: 0, window: 64256, tcpOptions: synOpts(1440, 5001 + tsd, 0, 7) }))}`,
        ],
        'the SYN to the real server: client ISN, window 502 << 7, MSS 1440 from the cookie, SACK, TS, WS 7',
      );

      // 3. Data right after the ACK, before the real server answered: kept, not sent, not dropped.
      const data = buildFrame6({
        ...cli,
        flags: 'PA',
        seq: 1001,
        ack: cookie + 1,
        window: 502,
        tcpOptions: Uint8Array.from(tsOpts(5002, cts)),
        payload: Buffer.from('GET /'),
      });
      t.same(send(0, data), [], 'kept while the real server has not answered');

      // 4. The server's SYN-ACK (ISN 7000, TS 9000, WS 6): consumed; ACK then the kept data go to it.
      const fromRs: Frame6Spec = {
        src: RIP6,
        dst: fullNat ? LADDR6 : CIP6,
        srcMac: WMAC,
        dstMac: LVS1,
        proto: 'tcp',
        sport: 8080,
        dport: fullNat ? LPORT : 40000,
      };
      const done = send(
        1,
        buildFrame6({
          ...fromRs,
          flags: 'SA',
          seq: 7000,
          ack: 1001,
          window: 65160,
          tcpOptions: synOpts(1440, 9000, 5001 + tsd, 6),
        }),
      );
      t.same(
        done,
        [
          `1 ${hex(buildFrame6({ ...toRs, flags: 'A', seq: 1001, ack: 7001, window: 502, tcpOptions: Uint8Array.from(tsOpts(5001 + tsd, 9000)) }))}`,
          `1 ${hex(buildFrame6({ ...toRs, flags: 'PA', seq: 1001, ack: 7001, window: 502, tcpOptions: Uint8Array.from(tsOpts(5002 + tsd, 9000)), payload: Buffer.from('GET /') }))}`,
        ],
        'the handshake ACK and the kept request, in the server numbering',
      );
      const id = v6.cm.lookupIn(IPPROTO_TCP, parseInet6(CIP6)!, 40000, parseInet6(VIP6)!, 80);
      t.equal(connStateName(v6.cm.t6.table, id), 'ESTABLISHED');

      // 5. Server data: seq += cookie - 7000, TSval += cookie TS - 9000, window 1000 << 6 >> 7 = 500.
      const reply = send(
        1,
        buildFrame6({
          ...fromRs,
          flags: 'PA',
          seq: 7001,
          ack: 1006,
          window: 1000,
          tcpOptions: Uint8Array.from(tsOpts(9001, 5002 + tsd)),
          payload: Buffer.from('HTTP/1.0 200'),
        }),
      );
      t.same(reply, [
        `0 ${hex(buildFrame6({ ...toCli, flags: 'PA', seq: cookie + 1, ack: 1006, window: 500, hopLimit: 63, tcpOptions: Uint8Array.from(tsOpts(cts + 1, 5002)), payload: Buffer.from('HTTP/1.0 200') }))}`,
      ]);

      // 6. A client ACK with a SACK block: ack and both edges move back into the server numbering.
      const sack = Uint8Array.from([1, 1, 5, 10, ...u32(cookie + 201), ...u32(cookie + 301), ...tsOpts(5003, cts + 1)]);
      const ackOut = send(
        0,
        buildFrame6({ ...cli, flags: 'A', seq: 1006, ack: cookie + 13, window: 502, tcpOptions: sack }),
      );
      const sackRs = Uint8Array.from([1, 1, 5, 10, ...u32(7201), ...u32(7301), ...tsOpts(5003 + tsd, 9001)]);
      t.same(ackOut, [
        `1 ${hex(buildFrame6({ ...toRs, flags: 'A', seq: 1006, ack: 7013, window: 502, tcpOptions: sackRs }))}`,
      ]);

      // 7. An RST far outside the window is dropped under IPv4's counter; the connection lives on.
      t.same(send(0, buildFrame6({ ...cli, flags: 'R', seq: 1006 + 0x40000000 })), []);
      t.equal(engine.drops.get(DROP_SYNPROXY_BAD_RST), 1);
      t.equal(connStateName(v6.cm.t6.table, id), 'ESTABLISHED');
      // 8. An ACK for no connection with a guessed cookie is refused and counted.
      t.same(send(0, buildFrame6({ ...cli, sport: 40001, flags: 'A', seq: 5, ack: cookie + 1 })), []);
      t.equal(engine.drops.get(DROP_SYNPROXY_BAD_COOKIE), 1);
      const sp4 = engine.pipeline.synproxy;
      t.same(
        [sp4.cookiesSent, sp4.cookiesValidated, sp4.cookiesFailed],
        [1, 1, 1],
        "the IPv6 proxy's cookies in the totals tsvsadm and the metrics read",
      );
      // 9. An RST at the server's ACK reaches the server, in its numbering.
      t.same(send(0, buildFrame6({ ...cli, flags: 'R', seq: 1006, ack: 0 })), [
        `1 ${hex(buildFrame6({ ...toRs, flags: 'R', seq: 1006, ack: 0 }))}`,
      ]);
    },
  );
}

t.test('a SYN without options: MSS 1220 (the IPv6 minimum) in the cookie, no SACK, scale or timestamps', async (t) => {
  const { send, firstToRs } = lab(false);
  const cookie = refCookie((n, k) => refHash(CIP6, VIP6, 40000, 80, n, k), 1000, 0, Math.floor(NOW / 60000));
  const synack = send(0, buildFrame6({ ...cli, flags: 'S', seq: 1000 }));
  const mss1440 = Uint8Array.from([2, 4, 0x05, 0xa0]);
  t.same(synack, [
    `0 ${hex(buildFrame6({ ...toCli, flags: 'SA', seq: cookie, ack: 1001, window: 65535, tcpOptions: mss1440 }))}`,
  ]);
  const syn = firstToRs(0, buildFrame6({ ...cli, flags: 'A', seq: 1001, ack: cookie + 1, window: 1000 }));
  const want = buildFrame6({
    src: CIP6,
    dst: RIP6,
    srcMac: LVS1,
    dstMac: WMAC,
    proto: 'tcp',
    sport: 40000,
    dport: 8080,
    hopLimit: 63,
    flags: 'S',
    seq: 1000,
    window: 1000,
    tcpOptions: Uint8Array.from([2, 4, 1220 >> 8, 1220 & 255]),
  });
  t.same(syn, [`1 ${hex(want)}`], 'the SYN to the real server announces msstab[0] = 1280 - 60');
});

t.test('--synproxy never: the IPv6 SYN goes to the real server as IPVS sends it', async (t) => {
  const { firstToRs, engine } = lab(false, SVC_F_SYNPROXY_NEVER);
  const out = firstToRs(0, buildFrame6({ ...cli, flags: 'S', seq: 1000 }));
  t.equal(out.length, 1);
  t.ok(out[0]!.startsWith('1 '), 'forwarded toward the real server');
  t.equal(engine.pipeline.synproxy.cookiesSent, 0);
  t.equal(engine.v6!.cm.conns.count, 1);
});
