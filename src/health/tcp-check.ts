// TCP_CHECK: up when a TCP connection completes within connect_timeout
// (keepalived/check/check_tcp.c tcp_connect_thread + layer4.c tcp_socket_state).

import net from 'node:net';
import {
  CHECK_OK,
  checkDst,
  checkFail,
  type Checker,
  type CheckResult,
  type CheckTarget,
  type ConnOpts,
} from './checker.ts';
import { runProbe, socketErrorReason, tcpConnectOptions } from './probe.ts';

export class TcpCheck implements Checker {
  readonly kind = 'TCP_CHECK';
  readonly co: ConnOpts;

  constructor(co: ConnOpts) {
    this.co = co;
  }

  check(target: CheckTarget, signal: AbortSignal): Promise<CheckResult> {
    const dst = checkDst(this.co, target);
    const co = this.co;
    return runProbe(signal, (finish) => {
      const opts = tcpConnectOptions(co, dst);
      const sock = net.connect(opts);
      // connect_timeout covers the whole connect (tcp_connection_state arms one timer).
      const timer = setTimeout(() => finish(checkFail('connection timed out')), co.connectTimeoutMs);
      sock.once('connect', () => finish(CHECK_OK));
      sock.once('error', (e) => finish(checkFail(socketErrorReason(e))));
      return () => {
        clearTimeout(timer);
        sock.destroy();
      };
    });
  }
}
