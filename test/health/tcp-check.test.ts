import t from 'tap';
import net from 'node:net';
import { TcpCheck } from '../../src/health/tcp-check.ts';

const LO = 0x7f000001;

function listen(port = 0): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer((s) => s.destroy());
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => resolve(srv));
  });
}
const portOf = (s: net.Server): number => (s.address() as net.AddressInfo).port;
const close = (s: net.Server): Promise<void> => new Promise((r) => s.close(() => r()));

t.test('TCP_CHECK is up while a server listens and down, refused, once it stops', async (t) => {
  const chk = new TcpCheck({ connectTimeoutMs: 1000 });
  const srv = await listen();
  const port = portOf(srv);
  t.same(await chk.check({ addr: LO, port }, new AbortController().signal), { ok: true, reason: '' });
  await close(srv);
  t.same(await chk.check({ addr: LO, port }, new AbortController().signal), {
    ok: false,
    reason: 'connection refused',
  });
  const again = await listen(port);
  t.same(await chk.check({ addr: LO, port }, new AbortController().signal), { ok: true, reason: '' });
  await close(again);
});

t.test('connect_port overrides the real server port', async (t) => {
  const srv = await listen();
  const chk = new TcpCheck({ connectTimeoutMs: 1000, connectPort: portOf(srv) });
  t.equal((await chk.check({ addr: LO, port: 1 }, new AbortController().signal)).ok, true);
  await close(srv);
});

t.test('an aborted check resolves at once as a failure', async (t) => {
  const ac = new AbortController();
  ac.abort();
  const chk = new TcpCheck({ connectTimeoutMs: 1000 });
  t.same(await chk.check({ addr: LO, port: 9 }, ac.signal), { ok: false, reason: 'aborted' });
});
