// DNS_CHECK: one UDP query for `name` with `type` (class IN, RD set, random id); up on a
// response with the same id, QR set and RCODE 0 (NOERROR) within connect_timeout
// (keepalived/check/check_dns.c dns_make_query, dns_recv_thread). Replies that are too short,
// carry another id or are not responses are ignored and the wait goes on, as there.

import dgram from 'node:dgram';
import { randomInt } from 'node:crypto';
import {
  CHECK_OK,
  checkDst,
  checkFail,
  type Checker,
  type CheckResult,
  type CheckTarget,
  type ConnOpts,
} from './checker.ts';
import { runProbe, socketErrorReason } from './probe.ts';
import { sendConnected } from './udp-check.ts';

/** check_dns.c DNS_TYPE[]: the query types keepalived knows, by name (case-insensitive). */
export const DNS_TYPES: Readonly<Record<string, number>> = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  RRSIG: 46,
  DNSKEY: 48,
};

export interface DnsCheckOpts extends ConnOpts {
  /** `name`; keepalived's DNS_DEFAULT_NAME "" is the root. */
  readonly name: string;
  /** `type`; DNS_DEFAULT_TYPE is SOA. */
  readonly type: number;
}

const HEADER_BYTES = 12;

/** dns_make_query: header (id, RD) + QNAME labels + QTYPE + QCLASS IN. */
export function dnsQuery(id: number, name: string, type: number): Buffer {
  const labels = name === '' || name === '.' ? [] : name.replace(/\.$/, '').split('.');
  const qname = Buffer.concat([
    ...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'latin1')])),
    Buffer.from([0]),
  ]);
  const q = Buffer.alloc(HEADER_BYTES + qname.length + 4);
  q.writeUInt16BE(id, 0);
  q.writeUInt16BE(0x0100, 2); // RD
  q.writeUInt16BE(1, 4); // QDCOUNT
  qname.copy(q, HEADER_BYTES);
  q.writeUInt16BE(type, HEADER_BYTES + qname.length);
  q.writeUInt16BE(1, HEADER_BYTES + qname.length + 2); // IN
  return q;
}

export class DnsCheck implements Checker {
  readonly kind = 'DNS_CHECK';
  readonly opts: DnsCheckOpts;

  constructor(opts: DnsCheckOpts) {
    this.opts = opts;
  }

  check(target: CheckTarget, signal: AbortSignal): Promise<CheckResult> {
    const o = this.opts;
    const dst = checkDst(o, target);
    const id = randomInt(0x10000);
    const query = dnsQuery(id, o.name, o.type);
    return runProbe(signal, (finish) => {
      const sock = dgram.createSocket('udp4');
      const timer = setTimeout(() => finish(checkFail('read timeout from socket')), o.connectTimeoutMs);
      sock.on('error', (e) => finish(checkFail(`failed to read socket (${socketErrorReason(e)})`)));
      sock.on('message', (msg: Buffer) => {
        if (msg.length < HEADER_BYTES || msg.readUInt16BE(0) !== id) return;
        const flags = msg.readUInt16BE(2);
        if ((flags & 0x8000) === 0) return; // DNS_QR: a query, not a response
        const rcode = flags & 0x000f;
        finish(rcode !== 0 ? checkFail(`read error occurred. (rcode = ${rcode})`) : CHECK_OK);
      });
      sendConnected(sock, o, dst, query, () => finish(checkFail('failed to write socket.')));
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
