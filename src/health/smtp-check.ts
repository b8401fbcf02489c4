// SMTP_CHECK: connect, read the greeting (status 220), send "HELO <helo_name>", read 250, send
// QUIT and read one more line (keepalived/check/check_smtp.c smtp_engine_thread,
// smtp_get_line_cb, smtp_get_status). A "line" is whatever has arrived once a '\n' is in the
// buffer, and its status is the number it starts with (strtoul), so a multi-line "220-..."
// greeting passes as keepalived's does. Each read and write gets connect_timeout.

import net from 'node:net';
import {
  CHECK_OK,
  checkDst,
  checkFail,
  type Checker,
  type CheckResult,
  type CheckTarget,
  type ConnOpts,
  targetHostPort,
} from './checker.ts';
import { runProbe, socketErrorReason, tcpConnectOptions } from './probe.ts';

export interface SmtpCheckOpts extends ConnOpts {
  /** helo_name; keepalived's default SMTP_DEFAULT_HELO. */
  readonly heloName: string;
}

export const SMTP_DEFAULT_HELO = 'smtpchecker.keepalived.org';
/** SMTP_BUFF_MAX (check_smtp.h): a longer line without '\n' wraps the buffer. */
const SMTP_BUFF_MAX = 512;

const GREETING = 0;
const HELO = 1;
const QUIT = 2;

/** smtp_get_status: the decimal number at the start of the line, 0 when there is none. */
export function smtpStatus(line: string): number {
  const m = /^\s*[+-]?(\d+)/.exec(line);
  return m === null ? 0 : Number(m[1]);
}

export class SmtpCheck implements Checker {
  readonly kind = 'SMTP_CHECK';
  readonly opts: SmtpCheckOpts;

  constructor(opts: SmtpCheckOpts) {
    this.opts = opts;
  }

  check(target: CheckTarget, signal: AbortSignal): Promise<CheckResult> {
    const o = this.opts;
    const dst = checkDst(o, target);
    const server = targetHostPort(dst);
    return runProbe(signal, (finish) => {
      const copts = tcpConnectOptions(o, dst);
      const sock = net.connect(copts);
      const connectTimer = setTimeout(
        () => finish(checkFail(`Connection timeout to server ${server}`)),
        o.connectTimeoutMs,
      );
      let state = GREETING;
      let buf = '';
      sock.once('connect', () => {
        clearTimeout(connectTimer);
        sock.setTimeout(o.connectTimeoutMs, () => finish(checkFail(`Read timeout from server ${server}`)));
      });
      sock.setEncoding('latin1');
      sock.on('data', (chunk: string) => {
        buf += chunk;
        if (buf.length >= SMTP_BUFF_MAX - 1 && !buf.includes('\n')) buf = '';
        if (!buf.includes('\n')) return;
        const line = buf;
        buf = '';
        if (state === GREETING) {
          if (smtpStatus(line) !== 220) return finish(checkFail(`Bad greeting banner from server ${server}`));
          state = HELO;
          sock.write(`HELO ${o.heloName}\r\n`);
        } else if (state === HELO) {
          if (smtpStatus(line) !== 250) return finish(checkFail(`Bad HELO response from server ${server}`));
          state = QUIT;
          sock.write('QUIT\r\n');
        } else finish(CHECK_OK);
      });
      sock.once('end', () => finish(checkFail(`Read failure from server ${server}: connection closed`)));
      sock.once('error', (e) => finish(checkFail(`Error connecting to server ${server}: ${socketErrorReason(e)}`)));
      return () => {
        clearTimeout(connectTimer);
        sock.destroy();
      };
    });
  }
}
