// PING_CHECK: an ICMP echo request answered by an echo reply within connect_timeout
// (keepalived/check/check_ping.c ping_it/recv_it, 128 bytes of payload). keepalived uses an
// unprivileged ping socket; we use a raw IPPROTO_ICMP socket from the optional `raw-socket`
// package, so this checker needs root (CAP_NET_RAW).

import { createRequire } from 'node:module';
import {
  checkDst,
  checkFail,
  CHECK_OK,
  type Checker,
  type CheckResult,
  type CheckTarget,
  type ConnOpts,
} from './checker.ts';
import { ipToString } from '../lib/inet.ts';
import { runProbe } from './probe.ts';
import { TsvsError } from '../lib/errors.ts';

/** The slice of raw-socket 1.8 we use (CJS, loaded lazily). */
interface RawSocket {
  on(event: 'message', fn: (buf: Buffer, source: string) => void): void;
  on(event: 'error', fn: (e: Error) => void): void;
  send(buf: Buffer, off: number, len: number, addr: string, cb: (err: Error | null, bytes: number) => void): void;
  close(): void;
}
interface RawModule {
  createSocket(opts: { protocol: number }): RawSocket;
  createChecksum(buf: Buffer): number;
  writeChecksum(buf: Buffer, off: number, sum: number): void;
  Protocol: { ICMP: number };
}

export const ICMP_PAYLOAD_BYTES = 128; // ICMP_BUFSIZE, check_ping.c
const ICMP_ECHOREPLY = 0;
const ICMP_DEST_UNREACH = 3;
const ICMP_ECHO = 8;

let rawModule: RawModule | undefined;
let rawLoadError: string | undefined;
/**
 * Sockets in flight. raw-socket closes the fd of a garbage-collected socket object, so every
 * open socket is held here until its probe ends.
 */
const liveSockets = new Set<RawSocket>();
let seqNo = 0;

function loadRaw(): RawModule {
  if (rawModule !== undefined) return rawModule;
  if (rawLoadError === undefined) {
    try {
      rawModule = createRequire(import.meta.url)('raw-socket') as RawModule;
      return rawModule;
    } catch (e) {
      rawLoadError = e instanceof Error ? e.message : String(e);
    }
  }
  throw new TsvsError('ICMP_UNAVAILABLE', `PING_CHECK needs the optional raw-socket package: ${rawLoadError}`);
}

function openSocket(raw: RawModule): RawSocket {
  try {
    return raw.createSocket({ protocol: raw.Protocol.ICMP });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new TsvsError('ICMP_UNAVAILABLE', `PING_CHECK needs root (CAP_NET_RAW) for a raw ICMP socket: ${msg}`);
  }
}

/** Throw TsvsError ICMP_UNAVAILABLE unless a raw ICMP socket can be opened here (for start-up validation). */
export function assertIcmpAvailable(): void {
  const s = openSocket(loadRaw());
  s.close();
}

/** An echo request: type 8, id, seq, 128 bytes of payload, checksum. */
export function buildEcho(raw: Pick<RawModule, 'createChecksum' | 'writeChecksum'>, id: number, seq: number): Buffer {
  const b = Buffer.alloc(8 + ICMP_PAYLOAD_BYTES);
  b[0] = ICMP_ECHO;
  b.writeUInt16BE(id & 0xffff, 4);
  b.writeUInt16BE(seq & 0xffff, 6);
  for (let i = 8; i < b.length; i++) b[i] = i & 0xff;
  raw.writeChecksum(b, 2, raw.createChecksum(b));
  return b;
}

/** Classify a packet read from the raw socket (IPv4 header included): reply, unreachable about our echo, or neither. */
export function classifyIcmp(buf: Uint8Array, id: number, seq: number): 'reply' | 'unreachable' | undefined {
  if (buf.length < 20 || (buf[0] ?? 0) >> 4 !== 4) return undefined;
  const ihl = ((buf[0] ?? 0) & 0x0f) * 4;
  if (buf.length < ihl + 8) return undefined;
  const type = buf[ihl] ?? 0;
  const idAt = (off: number): number => ((buf[off] ?? 0) << 8) | (buf[off + 1] ?? 0);
  if (type === ICMP_ECHOREPLY)
    return idAt(ihl + 4) === (id & 0xffff) && idAt(ihl + 6) === (seq & 0xffff) ? 'reply' : undefined;
  if (type === ICMP_DEST_UNREACH) {
    // The error quotes our IP header and the first 8 bytes of our echo.
    const inner = ihl + 8;
    if (buf.length < inner + 20) return undefined;
    const innerIhl = ((buf[inner] ?? 0) & 0x0f) * 4;
    const e = inner + innerIhl;
    if (buf.length < e + 8 || buf[e] !== ICMP_ECHO) return undefined;
    return idAt(e + 4) === (id & 0xffff) && idAt(e + 6) === (seq & 0xffff) ? 'unreachable' : undefined;
  }
  return undefined;
}

export class IcmpCheck implements Checker {
  readonly kind = 'PING_CHECK';
  readonly co: ConnOpts;

  constructor(co: ConnOpts) {
    this.co = co;
  }

  check(target: CheckTarget, signal: AbortSignal): Promise<CheckResult> {
    const to = checkDst(this.co, target);
    // PING_CHECK sends ICMP echo on a raw IPv4 socket; ICMPv6 echo is not built here.
    if (to.addr6 !== undefined) return Promise.resolve(checkFail('PING_CHECK: ICMPv6 echo is not supported by tsvs'));
    const dst = ipToString(to.addr);
    const timeoutMs = this.co.connectTimeoutMs;
    return runProbe(signal, (finish) => {
      let raw: RawModule;
      let sock: RawSocket;
      try {
        raw = loadRaw();
        sock = openSocket(raw);
      } catch (e) {
        finish(checkFail(e instanceof Error ? e.message : String(e)));
        return () => {};
      }
      liveSockets.add(sock);
      const id = process.pid & 0xffff;
      const seq = (seqNo = (seqNo + 1) & 0xffff);
      const timer = setTimeout(() => finish(checkFail('timeout')), timeoutMs);
      sock.on('error', (e) => finish(checkFail(e.message)));
      sock.on('message', (buf, source) => {
        const kind = classifyIcmp(buf, id, seq);
        if (kind === 'reply' && source === dst) finish(CHECK_OK);
        else if (kind === 'unreachable') finish(checkFail('destination unreachable'));
      });
      const echo = buildEcho(raw, id, seq);
      sock.send(echo, 0, echo.length, dst, (err) => {
        if (err) finish(checkFail(`send ICMP packet fail: ${err.message}`));
      });
      return () => {
        clearTimeout(timer);
        liveSockets.delete(sock);
        sock.close();
      };
    });
  }
}
