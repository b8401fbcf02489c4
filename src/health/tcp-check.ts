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
import { ipToString } from '../lib/inet.ts';
import { runProbe, socketErrorReason } from './probe.ts';

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
      const opts: net.NetConnectOpts = { host: ipToString(dst.addr), port: dst.port };
      if (co.bindTo !== undefined) opts.localAddress = ipToString(co.bindTo);
      if (co.bindPort !== undefined) opts.localPort = co.bindPort;
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
