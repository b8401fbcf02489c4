// keepalived.conf with IPv6: virtual_server / real_server / sorry_server / ip_family inet6 and
// connect_ip / bindto read as keepalived reads them, what tsvsd puts in the table for them, and
// the TCP_CHECK and HTTP_GET checkers built from that config probing real IPv6 servers on ::1.
import t, { type Test } from 'tap';
import net from 'node:net';
import { parseHealthConfig } from '../../src/health/config.ts';
import { toMonitoredServices } from '../../src/health/registry.ts';
import { entriesOf, serviceSpecOf } from '../../src/daemon/health-entries.ts';
import { AF_INET6, FWD_MASQ } from '../../src/model/dest.ts';
import { inet6Fold } from '../../src/lib/inet6.ts';

/** An IPv6 server on ::1: plain TCP, answering HTTP requests with `reply`. */
async function listen6(t: Test, reply: string): Promise<number> {
  const socks = new Set<net.Socket>();
  const srv = net.createServer((s) => {
    socks.add(s);
    s.on('error', () => {});
    s.on('close', () => socks.delete(s));
    s.on('data', (d) => {
      if (d.toString('latin1').includes('\r\n\r\n')) s.end(reply);
    });
  });
  await new Promise<void>((resolve) => srv.listen(0, '::1', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        for (const s of socks) s.destroy();
        srv.close(() => resolve());
      }),
  );
  return (srv.address() as net.AddressInfo).port;
}

/** A port on ::1 where nothing listens: bound, then closed. */
async function closedPort6(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '::1', resolve));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

const conf = (up: number, down: number, http: number) => `
virtual_server 2001:db8::5 80 {
  lb_algo wrr
  lb_kind NAT
  protocol TCP
  persistence_timeout 60
  persistence_granularity 64
  sorry_server 2001:db8::99 8080
  real_server 2001:db8::100 ${up} {
    TCP_CHECK {
      connect_ip ::1
      connect_timeout 2
    }
  }
  real_server 2001:db8::101 ${down} {
    TCP_CHECK {
      connect_ip ::1
      bindto ::1
      connect_timeout 2
    }
  }
  real_server 2001:db8::102 80 {
    HTTP_GET {
      url {
        path /health
        status_code 200
      }
      connect_ip ::1
      connect_port ${http}
      connect_timeout 2
    }
  }
  real_server 10.0.0.1 80 {
  }
}
virtual_server fwmark 7 {
  ip_family inet6
  real_server 2001:db8::200 80 {
  }
}
`;

t.test('IPv6 virtual, real and sorry servers are read with keepalived keys and table specs', async (t) => {
  const cfg = parseHealthConfig(conf(8001, 8002, 8003), 'ka.conf');
  t.same(
    cfg.virtualServers.map((vs) => vs.key),
    ['TCP [2001:db8::5]:80', 'FWM 7'],
  );
  const vs = cfg.virtualServers[0]!;
  t.same(
    vs.realServers.map((r) => r.key),
    ['[2001:db8::100]:8001', '[2001:db8::101]:8002', '[2001:db8::102]:80'],
  );
  t.same(cfg.warnings, [
    "ka.conf:33: Address family of virtual server and real server 10.0.0.1 don't match - skipping real server.",
  ]);
  t.equal(vs.sorryServer?.key, '[2001:db8::99]:8080');
  const entries = entriesOf(cfg);
  const e = entries.get('TCP [2001:db8::5]:80')!;
  t.equal(e.key.af, AF_INET6);
  t.same(Array.from(e.key.addr6!), [0x20010db8, 0, 0, 5]);
  t.equal(e.key.addr, inet6Fold(e.key.addr6!));
  const spec = serviceSpecOf(vs, e.key);
  t.equal(spec.netmask, 64, 'persistence_granularity of an IPv6 service is a prefix length');
  const m = e.members.get('[2001:db8::100]:8001')!;
  t.equal(m.af, AF_INET6);
  t.equal(m.fwd, FWD_MASQ);
  t.equal(e.members.get('[2001:db8::99]:8080')!.af, AF_INET6, 'the sorry server');
  const fwm = entries.get('FWM 7')!;
  t.equal(fwm.key.af, AF_INET6, 'ip_family inet6 makes the fwmark service IPv6');
  t.equal(serviceSpecOf(cfg.virtualServers[1]!, fwm.key).netmask, 128);
});

t.test('TCP_CHECK and HTTP_GET connect to IPv6 servers (connect_ip ::1, bindto ::1)', async (t) => {
  const up = await listen6(t, 'HTTP/1.0 200 OK\r\n\r\n');
  const down = await closedPort6();
  const http = await listen6(t, 'HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok');
  const cfg = parseHealthConfig(conf(up, down, http), 'ka.conf');
  const [svc] = toMonitoredServices(cfg);
  const results: Record<string, string> = {};
  for (const srv of svc!.servers) {
    const r = await srv.checkers[0]!.checker.check(srv, AbortSignal.timeout(10_000));
    results[srv.key] = r.ok ? 'up' : `down: ${r.reason}`;
  }
  t.equal(results[`[2001:db8::100]:${up}`], 'up', 'TCP_CHECK reached the listening ::1 port');
  t.match(results[`[2001:db8::101]:${down}`], /^down: /, 'TCP_CHECK saw the closed ::1 port refuse');
  t.equal(results['[2001:db8::102]:80'], 'up', 'HTTP_GET got its 200 over IPv6');
});

t.test('an IPv6 range in a virtual_server_group replaces the last group, in hex (inet_stor)', async (t) => {
  const cfg = parseHealthConfig(
    'virtual_server_group G {\n 2001:db8::fe-101 80\n}\nvirtual_server group G {\n protocol TCP\n real_server 2001:db8::200 80 {\n }\n}\n',
    'ka.conf',
  );
  t.same(
    cfg.virtualServers.map((vs) => vs.key),
    ['TCP [2001:db8::fe]:80', 'TCP [2001:db8::ff]:80', 'TCP [2001:db8::100]:80', 'TCP [2001:db8::101]:80'],
  );
});
