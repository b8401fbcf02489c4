// UDP_CHECK: send a datagram; an ICMP error (port/host unreachable) fails at once; a reply, or
// silence until connect_timeout, succeeds unless require_reply is set, in which case a reply must
// arrive and match (keepalived/check/check_udp.c, layer4.c udp_socket_state: "Handle Read timeout,
// we consider it success unless require_reply is set").

import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import {
  CHECK_OK,
  checkDst,
  checkFail,
  type Checker,
  type CheckResult,
  type CheckTarget,
  type ConnOpts,
  targetHost,
  bindHost,
} from './checker.ts';
import { replyMatches, type HexBytes } from './hex-str.ts';
import { runProbe, socketErrorReason } from './probe.ts';

export interface UdpCheckOpts extends ConnOpts {
  /** Datagram to send (`payload`); random bytes when unset, as keepalived does. */
  readonly payload?: Uint8Array;
  /** `require_reply`: a reply must arrive within connect_timeout. */
  readonly requireReply: boolean;
  /** `require_reply HEX_STR`: the reply pattern (then min/max_reply_length are checked too). */
  readonly reply?: HexBytes;
  /** min_reply_length, default 0. */
  readonly minReplyLength: number;
  /** max_reply_length, default 255. */
  readonly maxReplyLength: number;
}

export const DEFAULT_UDP_PAYLOAD_BYTES = 32;

export class UdpCheck implements Checker {
  readonly kind = 'UDP_CHECK';
  readonly opts: UdpCheckOpts;

  constructor(opts: UdpCheckOpts) {
    this.opts = opts;
  }

  check(target: CheckTarget, signal: AbortSignal): Promise<CheckResult> {
    const o = this.opts;
    const dst = checkDst(o, target);
    const payload = o.payload ?? randomBytes(DEFAULT_UDP_PAYLOAD_BYTES);
    return runProbe(signal, (finish) => {
      const sock = dgram.createSocket('udp4');
      const timer = setTimeout(() => finish(o.requireReply ? checkFail('no reply') : CHECK_OK), o.connectTimeoutMs);
      // A connected socket surfaces ICMP unreachables as ECONNREFUSED/EHOSTUNREACH (IP_RECVERR in keepalived).
      sock.on('error', (e) =>
        finish(checkFail(socketErrorReason(e) === 'connection refused' ? 'port unreachable' : socketErrorReason(e))),
      );
      sock.on('message', (msg: Buffer) => {
        if (o.reply !== undefined && !replyMatches(msg, o.reply, o.minReplyLength, o.maxReplyLength))
          finish(checkFail('reply data mismatch'));
        else finish(CHECK_OK);
      });
      sendConnected(sock, o, dst, payload, (err) => finish(checkFail(socketErrorReason(err))));
      return () => {
        clearTimeout(timer);
        try {
          sock.close();
        } catch {
          // already closed
        }
      };
    });
  }
}

/**
 * Bind (bindto, bind_port) when asked, connect to dst and send one datagram; a connected socket
 * reports ICMP errors for it (the UDP checkers' connect step, layer4.c udp_bind_connect).
 */
export function sendConnected(
  sock: dgram.Socket,
  co: ConnOpts,
  dst: CheckTarget,
  payload: Uint8Array,
  onSendError: (err: Error) => void,
): void {
  const connect = (): void => {
    sock.connect(dst.port, targetHost(dst), () => {
      sock.send(payload, (err) => {
        if (err) onSendError(err);
      });
    });
  };
  if (co.bindTo !== undefined || co.bindPort !== undefined) {
    const b: dgram.BindOptions = { port: co.bindPort ?? 0 };
    const local = bindHost(co);
    if (local !== undefined) b.address = local;
    sock.bind(b, connect);
  } else connect();
}
