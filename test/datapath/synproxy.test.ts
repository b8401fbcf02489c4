// The SYN proxy through the whole pipeline (MemoryIo), golden frames: a SYN answered with a cookie
// SYN-ACK carrying Linux's exact options, the proven ACK turned into a SYN to the real server
// with the client's options, the server's SYN-ACK answered by the director, the data kept
// meanwhile delivered, and both directions' seq/ack, SACK, timestamp and window translation, in
// classic NAT and full NAT. Expected frames come from test/helpers/frames.ts and an independent
// BigInt SipHash-1-3 with the syncookies.c formula written out here.
import t from 'tap';
import { connStateName } from '../../src/conn/proto-state.ts';
import { DROP_SYNPROXY_BAD_COOKIE, DROP_SYNPROXY_BAD_RST } from '../../src/lib/drops.ts';
import { SVC_F_SYNPROXY_ALWAYS } from '../../src/model/synproxy-state.ts';
import { buildFrame, hex, ipToU32 } from '../helpers/frames.ts';
import { cookieKey, refCookie, refTsval, sip13 } from '../helpers/cookie-ref.ts';
import { CIP, CMAC, engineLab, LIP, LVS0, LVS1, VIP } from '../helpers/engine-lab.ts';

const RIP = '192.168.99.100';
const WMAC = '02:00:00:00:99:64';
const NOW = 1_000_000; // the lab's clock: minute 16
const KEY = Uint32Array.from([1, 2, 3, 4, 5, 6, 7, 8]);

// --- reference cookie: hsiphash (test/helpers/cookie-ref.ts) of 16 bytes, syncookies.c's sum
function refHash(s: number, d: number, sp: number, dp: number, word: number, c: number): number {
  const m = Buffer.alloc(16);
  m.writeUInt32LE(s >>> 0, 0);
  m.writeUInt32LE(d >>> 0, 4);
  m.writeUInt32LE(((sp << 16) | dp) >>> 0, 8);
  m.writeUInt32LE(word >>> 0, 12);
  return sip13(m, ...cookieKey(KEY, c));
}

const u32 = (n: number): Uint8Array => Uint8Array.from([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
const bytes = (...parts: (number[] | Uint8Array)[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => [...p]));
/** Linux's SYN options: MSS 1460, SACK_PERM + TS, NOP WS. */
const synOpts = (tsval: number, tsecr: number, ws: number): Uint8Array =>
  bytes([2, 4, 0x05, 0xb4, 4, 2, 8, 10], u32(tsval), u32(tsecr), [1, 3, 3, ws]);
const tsOpts = (tsval: number, tsecr: number): Uint8Array => bytes([1, 1, 8, 10], u32(tsval), u32(tsecr));

function lab(fullNat: boolean) {
  const l = engineLab({
    dests: [{ ip: RIP, mac: WMAC, weight: 1 }],
    fullNat,
    serviceFlags: SVC_F_SYNPROXY_ALWAYS,
    startMs: NOW,
  });
  l.engine.pipeline.synproxy.cookies.useFixedKey(KEY);
  const send = (port: number, frame: Buffer): string[] => {
    l.io.sent.length = 0;
    l.io.inject(port, frame);
    l.io.deliver();
    return l.io.sent.map((s) => `${s.port} ${hex(s.frame)}`);
  };
  return { ...l, send };
}

for (const fullNat of [false, true]) {
  t.test(
    `${fullNat ? 'full NAT' : 'classic NAT'}: cookie handshake, SYN to the real server, translation both ways`,
    async (t) => {
      const { engine, send } = lab(fullNat);
      const cli = { dstMac: LVS0, srcMac: CMAC, src: CIP, dst: VIP, proto: 'tcp' as const, sport: 40000, dport: 80 };
      const c = ipToU32(CIP),
        v = ipToU32(VIP);
      const cookie = refCookie((n, k) => refHash(c, v, 40000, 80, n, k), 1000, 3, Math.floor(NOW / 60000));
      const cts = refTsval(NOW, 7 | 16);

      // 1. SYN -> the director's cookie SYN-ACK: MSS 1460, SACK_PERM + TS (TSecr = the client's), WS 7.
      const synack = send(0, buildFrame({ ...cli, flags: 'S', seq: 1000, tcpOptions: synOpts(5000, 0, 7) }));
      const wantSynack = buildFrame({
        dstMac: CMAC,
        srcMac: LVS0,
        src: VIP,
        dst: CIP,
        proto: 'tcp',
        sport: 80,
        dport: 40000,
        flags: 'SA',
        seq: cookie,
        ack: 1001,
        window: 65535,
        id: 0,
        df: true,
        ttl: 64,
        tcpOptions: synOpts(cts, 5000, 7),
      });
      t.same(synack, [`0 ${hex(wantSynack)}`], 'the cookie SYN-ACK, byte for byte');
      t.equal(engine.conns.count, 0, 'no state for a SYN');

      // 2. The client's ACK proves the cookie -> SYN to the real server with the client's ISN and options.
      const syn = send(
        0,
        buildFrame({
          ...cli,
          flags: 'A',
          seq: 1001,
          ack: cookie + 1,
          window: 502,
          id: 77,
          tcpOptions: tsOpts(5001, cts),
        }),
      );
      t.equal(syn.length, 1);
      const lport = fullNat ? parseInt(syn[0]!.slice(2 + 2 * 34, 2 + 2 * 36), 16) : 40000;
      const toRs = {
        dstMac: WMAC,
        srcMac: LVS1,
        src: fullNat ? LIP : CIP,
        dst: RIP,
        proto: 'tcp' as const,
        sport: lport,
        dport: 80,
      };
      const tsd = fullNat ? NOW - 5001 : 0; // full NAT's own client-TSval translation (tcp-timestamp.ts)
      t.same(
        syn,
        [
          `1 ${hex(buildFrame({ ...toRs, flags: 'S', seq: 1000, ack: 0, window: 64256, id: 77, df: true, ttl: 63, tcpOptions: synOpts(5001 + tsd, 0, 7) }))}`,
        ],
        'the SYN to the real server: client ISN, window 502 << 7, MSS from the cookie, SACK, TS, WS 7',
      );

      // 3. Data right after the ACK, before the real server answered: kept, not sent, not dropped.
      const data = buildFrame({
        ...cli,
        flags: 'PA',
        seq: 1001,
        ack: cookie + 1,
        window: 502,
        id: 78,
        tcpOptions: tsOpts(5002, cts),
        payload: 'GET /',
      });
      t.same(send(0, data), [], 'kept while the real server has not answered');

      // 4. The server's SYN-ACK (ISN 7000, TS 9000, WS 6): consumed; ACK then the kept data go to it.
      const fromRs = {
        dstMac: LVS1,
        srcMac: WMAC,
        src: RIP,
        dst: fullNat ? LIP : CIP,
        proto: 'tcp' as const,
        sport: 80,
        dport: lport,
      };
      const done = send(
        1,
        buildFrame({
          ...fromRs,
          flags: 'SA',
          seq: 7000,
          ack: 1001,
          window: 65160,
          tcpOptions: synOpts(9000, 5001 + tsd, 6),
        }),
      );
      t.same(
        done,
        [
          `1 ${hex(buildFrame({ ...toRs, flags: 'A', seq: 1001, ack: 7001, window: 502, id: 0, df: true, ttl: 63, tcpOptions: tsOpts(5001 + tsd, 9000) }))}`,
          `1 ${hex(buildFrame({ ...toRs, flags: 'PA', seq: 1001, ack: 7001, window: 502, id: 78, ttl: 63, tcpOptions: tsOpts(5002 + tsd, 9000), payload: 'GET /' }))}`,
        ],
        'the handshake ACK and the kept request, in the server numbering',
      );
      const id = engine.conns.lookupIn(6, c | 0, 40000, v | 0, 80);
      t.equal(connStateName(engine.conns.table, id), 'ESTABLISHED');

      // 5. Server data: seq += cookie - 7000, TSval += cookie TS - 9000, window 1000 << 6 >> 7 = 500.
      const reply = send(
        1,
        buildFrame({
          ...fromRs,
          flags: 'PA',
          seq: 7001,
          ack: 1006,
          window: 1000,
          tcpOptions: tsOpts(9001, 5002 + tsd),
          payload: 'HTTP/1.0 200',
        }),
      );
      const toCli = { dstMac: CMAC, srcMac: LVS0, src: VIP, dst: CIP, proto: 'tcp' as const, sport: 80, dport: 40000 };
      t.same(reply, [
        `0 ${hex(buildFrame({ ...toCli, flags: 'PA', seq: cookie + 1, ack: 1006, window: 500, ttl: 63, tcpOptions: tsOpts(cts + 1, 5002), payload: 'HTTP/1.0 200' }))}`,
      ]);

      // 6. A client ACK with a SACK block: ack and both edges move back into the server numbering.
      const sack = bytes([1, 1, 5, 10], u32(cookie + 201), u32(cookie + 301), tsOpts(5003, cts + 1));
      const ackOut = send(
        0,
        buildFrame({ ...cli, flags: 'A', seq: 1006, ack: cookie + 13, window: 502, tcpOptions: sack }),
      );
      const sackRs = bytes([1, 1, 5, 10], u32(7201), u32(7301), tsOpts(5003 + tsd, 9001));
      t.same(ackOut, [
        `1 ${hex(buildFrame({ ...toRs, flags: 'A', seq: 1006, ack: 7013, window: 502, ttl: 63, tcpOptions: sackRs }))}`,
      ]);

      // 7. An RST far outside the window is dropped; the connection lives on.
      t.same(send(0, buildFrame({ ...cli, flags: 'R', seq: 1006 + 0x40000000 })), []);
      t.equal(engine.drops.get(DROP_SYNPROXY_BAD_RST), 1);
      t.equal(connStateName(engine.conns.table, id), 'ESTABLISHED');
      // 8. An ACK for no connection with a guessed cookie is refused and counted.
      t.same(send(0, buildFrame({ ...cli, sport: 40001, flags: 'A', seq: 5, ack: cookie + 1 })), []);
      t.equal(engine.drops.get(DROP_SYNPROXY_BAD_COOKIE), 1);
      t.same(
        [
          engine.pipeline.synproxy.cookiesSent,
          engine.pipeline.synproxy.cookiesValidated,
          engine.pipeline.synproxy.cookiesFailed,
        ],
        [1, 1, 1],
      );

      // 9. The client closes (FIN at 1006) while the server's last data, sent before that FIN
      // reached it, is in flight with ACK 1006. The client, its socket gone, answers that
      // segment with an RST at its ACK (RFC 793): 1006, behind the client's FIN but the
      // server's RCV.NXT, so the server takes it. It goes through.
      t.equal(send(0, buildFrame({ ...cli, flags: 'FA', seq: 1006, ack: cookie + 13, window: 502 })).length, 1);
      const late = send(1, buildFrame({ ...fromRs, flags: 'PA', seq: 7013, ack: 1006, window: 1000, payload: 'more' }));
      t.equal(late.length, 1, 'the server segment sent before it saw the FIN reaches the client');
      // Behind the server's ACK: what tcp_sequence() drops at the server is dropped here too.
      t.same(send(0, buildFrame({ ...cli, flags: 'R', seq: 1005 })), [], 'an RST behind the ACK is dropped');
      t.equal(engine.drops.get(DROP_SYNPROXY_BAD_RST), 2);
      t.same(
        send(0, buildFrame({ ...cli, flags: 'R', seq: 1006 })),
        [`1 ${hex(buildFrame({ ...toRs, flags: 'R', seq: 1006, ack: 0, ttl: 63 }))}`],
        "the RST at the server's ACK reaches the server, in its numbering",
      );
      t.equal(engine.drops.get(DROP_SYNPROXY_BAD_RST), 2, 'not counted as a bad RST');
    },
  );
}
