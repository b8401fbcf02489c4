// StartGate through a real control socket: while tsvsd is starting, a request for an op the start
// adds (engine.stats, daemon.start, ...) waits for the start and is served by that op, instead of
// "no packet engine"; rule ops answer at once; after the start, an op it never added gets the
// engine-less answer without waiting.
import t from 'tap';
import { join } from 'node:path';
import { TsvsDaemon } from '../../src/daemon/daemon.ts';
import { StartGate } from '../../src/daemon/start-gate.ts';
import { Logger } from '../../src/lib/logger.ts';
import { ControlClient } from '../../src/wire/client.ts';
import { tempDir } from '../cli/fixtures/harness.ts';

async function ask(socket: string, op: string, args: Record<string, unknown> = {}): Promise<unknown> {
  const c = await ControlClient.connect(socket);
  try {
    return await c.request(op, args);
  } finally {
    c.close();
  }
}

t.test('the gate holds only the start ops not served yet, and only while holding', async (t) => {
  const g = new StartGate();
  const settled = (p: Promise<void>): Promise<boolean> =>
    Promise.race([p.then(() => true), new Promise<boolean>((r) => setImmediate(() => r(false)))]);
  t.equal(g.before('engine.stats', false), null, 'not holding: no wait');
  g.hold();
  t.equal(g.before('list', false), null, 'a rule op never waits');
  t.equal(g.before('engine.stats', true), null, 'a start op already served does not wait');
  const held = g.before('daemon.start', false);
  t.not(held, null, 'a start op not served yet waits');
  t.equal(await settled(held!), false, 'until the start is over');
  g.open();
  t.equal(await settled(held!), true, 'and goes on once it is');
  t.equal(g.before('daemon.start', false), null, 'after the start nothing waits');
});

t.test('over the socket: a request during the start is served by the op the start adds', async (t) => {
  const dir = tempDir(t);
  const socket = join(dir, 'run', 'tsvsd.sock');
  const daemon = new TsvsDaemon({
    logger: new Logger({ write: () => {} }),
    socketPath: socket,
    rulesPath: join(dir, 'lib', 'rules'),
  });
  daemon.startGate.hold();
  await daemon.start();
  t.teardown(() => daemon.stop());

  const early = ask(socket, 'daemon.start', { state: 'master', mcastInterface: 'eth1' });
  const list = await ask(socket, 'list', {});
  t.ok(list !== null && typeof list === 'object', 'a rule op answers during the start');
  // The engine comes up after the request arrived, and adds its ops.
  await new Promise((r) => setTimeout(r, 50));
  daemon.addOp('daemon.start', (args) => ({ started: args['state'] }));
  daemon.startGate.open();
  t.same(await early, { started: 'master' }, 'the early daemon.start reached the op the start added');
  await t.rejects(ask(socket, 'engine.stats'), { message: /unknown op/ }, 'an op the start never added: no wait');
  await t.rejects(
    ask(socket, 'daemon.stop', { state: 'master' }),
    { message: /needs the packet engine/ },
    'no engine after the start: the engine-less answer',
  );
});
