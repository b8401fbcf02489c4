// The new side of a takeover over a real control socket: no tsvsd listening is a normal start,
// one that cannot hand over stops the start (EHANDOVER), a well-formed reply is what it said; and
// a listener that is still up makes a second listen wait, then give up (EALREADY).
import t from 'tap';
import { join } from 'node:path';
import { ControlServer } from '../../src/wire/socket.ts';
import { TsvsError } from '../../src/lib/errors.ts';
import { Logger } from '../../src/lib/logger.ts';
import { HANDOVER_OP, requestHandover } from '../../src/daemon/handover.ts';
import { tempDir } from '../cli/fixtures/harness.ts';

const quiet = new Logger({ write: () => {} });

async function serve(t: Parameters<typeof tempDir>[0], handle: (op: string) => Promise<unknown>) {
  const path = join(tempDir(t), 'tsvsd.sock');
  const s = new ControlServer({ path, handle });
  await s.listen();
  t.teardown(() => s.close());
  return path;
}

t.test('no tsvsd on the socket: null, a normal start', async (t) => {
  t.equal(await requestHandover(join(tempDir(t), 'none.sock'), quiet), null);
});

t.test('a tsvsd without the handover op: EHANDOVER, never two engines', async (t) => {
  const path = await serve(t, async (op) => {
    throw new TsvsError('EBADREQ', `unknown op ${op}`);
  });
  await t.rejects(requestHandover(path, quiet), {
    code: 'EHANDOVER',
    message: /did not hand over \(unknown op handover\)/,
  });
});

t.test('a malformed reply: EHANDOVER', async (t) => {
  const path = await serve(t, async () => ({ pid: 'x' }));
  await t.rejects(requestHandover(path, quiet), { code: 'EHANDOVER', message: /malformed handover reply/ });
});

t.test('a well-formed reply is handed through', async (t) => {
  const reply = {
    pid: 4242,
    ipForward: '1',
    neighbours: [{ ip: '192.168.99.100', mac: '02:00:00:00:00:01', ifname: 'eth1' }],
  };
  let asked = '';
  const path = await serve(t, async (op) => {
    asked = op;
    return reply;
  });
  t.same(await requestHandover(path, quiet), reply);
  t.equal(asked, HANDOVER_OP);
});

t.test('the VRRP state rides along; a malformed one refuses the handover', async (t) => {
  const base = { pid: 4242, ipForward: '', neighbours: [] };
  const vrrp = { state: 'MASTER', managed: true, sinceMs: 1_700_000_000_000 };
  t.same(await requestHandover(await serve(t, async () => ({ ...base, vrrp })), quiet), { ...base, vrrp });
  for (const bad of [{ ...vrrp, state: 'PRIMARY' }, { state: 'MASTER' }, 'MASTER']) {
    const path = await serve(t, async () => ({ ...base, vrrp: bad }));
    await t.rejects(requestHandover(path, quiet), { code: 'EHANDOVER', message: /malformed handover reply/ });
  }
});

t.test('listen(waitMs) waits for a predecessor that still listens, then gives up with EALREADY', async (t) => {
  const path = await serve(t, async () => null);
  const second = new ControlServer({ path, handle: async () => null });
  await t.rejects(second.listen(300), { code: 'EALREADY' });
});
