// The control socket: JSON lines, versioned, root-only permissions, and no client input that
// can crash the daemon (bad JSON, unknown ops, wrong version, oversized lines).
import t from 'tap';
import { lstatSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ControlServer } from '../../src/wire/socket.ts';
import { ControlClient } from '../../src/wire/client.ts';
import { TsvsError } from '../../src/lib/errors.ts';
import { rawExchange, tempDir } from '../cli/fixtures/harness.ts';

async function server(
  t: Parameters<typeof tempDir>[0],
  handle = async (op: string, args: unknown): Promise<unknown> => ({ op, args }),
  maxLineBytes?: number,
) {
  const dir = tempDir(t);
  const path = join(dir, 'run', 'tsvs', 'tsvsd.sock');
  const s = new ControlServer({ path, handle, ...(maxLineBytes !== undefined ? { maxLineBytes } : {}) });
  await s.listen();
  t.teardown(() => s.close());
  return { s, path, dir };
}

t.test('the socket directory is created 0700 and the socket is 0600', async (t) => {
  const { path } = await server(t);
  t.equal(lstatSync(join(path, '..')).mode & 0o777, 0o700);
  t.ok(lstatSync(path).isSocket());
  t.equal(lstatSync(path).mode & 0o777, 0o600);
});

t.test('a request line gets a reply line with the same id', async (t) => {
  const { path } = await server(t);
  const lines = await rawExchange(path, '{"v":1,"id":7,"op":"ping","args":{"a":1}}\n{"v":1,"id":8,"op":"x"}\n', 2);
  t.same(
    lines.map((l) => JSON.parse(l)),
    [
      { v: 1, id: 7, ok: true, result: { op: 'ping', args: { a: 1 } } },
      { v: 1, id: 8, ok: true, result: { op: 'x' } },
    ],
  );
});

t.test('bad JSON, bad envelopes and wrong versions get error replies and the connection goes on', async (t) => {
  const { path } = await server(t);
  const lines = await rawExchange(
    path,
    'not json\n[1,2]\n{"v":2,"id":3,"op":"ping"}\n{"v":1,"op":"ping"}\n{"v":1,"id":4,"op":"ping"}\n',
    5,
  );
  const replies = lines.map((l) => JSON.parse(l));
  t.match(replies[0], { v: 1, id: null, ok: false, error: { code: 'EBADJSON' } });
  t.match(replies[1], { id: null, ok: false, error: { code: 'EBADREQ' } });
  t.same(replies[2], {
    v: 1,
    id: 3,
    ok: false,
    error: { code: 'EVERSION', message: 'unsupported protocol version 2; this tsvsd speaks version 1' },
  });
  t.match(replies[3], { id: null, ok: false, error: { code: 'EBADREQ' } });
  t.match(replies[4], { id: 4, ok: true });
});

t.test('handler failures become error replies with the error code', async (t) => {
  const { path } = await server(t, async (op) => {
    if (op === 'boom') throw new Error('kaput');
    throw new TsvsError('ESRCH', 'No such service');
  });
  const lines = await rawExchange(path, '{"v":1,"id":1,"op":"boom"}\n{"v":1,"id":2,"op":"x"}\n', 2);
  t.same(
    lines.map((l) => JSON.parse(l)),
    [
      { v: 1, id: 1, ok: false, error: { code: 'EINTERNAL', message: 'kaput' } },
      { v: 1, id: 2, ok: false, error: { code: 'ESRCH', message: 'No such service' } },
    ],
  );
});

t.test('an oversized line gets E2BIG and the connection is closed; the server keeps serving', async (t) => {
  const { path } = await server(t, undefined, 1024);
  const lines = await rawExchange(path, 'x'.repeat(5000), 1);
  t.same(JSON.parse(lines[0]!), {
    v: 1,
    id: null,
    ok: false,
    error: { code: 'E2BIG', message: 'request line exceeds 1024 bytes' },
  });
  const ok = await rawExchange(path, '{"v":1,"id":1,"op":"ping"}\n', 1);
  t.match(JSON.parse(ok[0]!), { id: 1, ok: true });
});

t.test('the client maps replies to results and error replies to TsvsError', async (t) => {
  const { path } = await server(t, async (op) => {
    if (op === 'fail') throw new TsvsError('EEXIST', 'Service already exists');
    return { hello: op };
  });
  const c = await ControlClient.connect(path);
  t.teardown(() => c.close());
  const [a, b] = await Promise.all([c.request('one'), c.request('two')]);
  t.same([a, b], [{ hello: 'one' }, { hello: 'two' }]);
  const e = await c.request('fail').catch((x: unknown) => x);
  t.ok(e instanceof TsvsError);
  t.same([(e as TsvsError).code, (e as TsvsError).message], ['EEXIST', 'Service already exists']);
});

t.test('connecting without a daemon says how to start it', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'nope.sock');
  const e = await ControlClient.connect(path).catch((x: unknown) => x);
  t.ok(e instanceof TsvsError);
  t.equal((e as TsvsError).code, 'ENODAEMON');
  t.equal(
    (e as TsvsError).message,
    `cannot connect to tsvsd at ${path} (no such file): is the daemon running? Start it with: tsvsd --config /etc/tsvs/tsvsd.conf`,
  );
});

t.test('a live socket is refused, a stale one (daemon killed) replaced, and a non-socket left alone', async (t) => {
  const { path, dir } = await server(t);
  const second = new ControlServer({ path, handle: async () => ({}) });
  await t.rejects(second.listen(), { code: 'EALREADY', message: `another tsvsd is already listening on ${path}` });

  // A process killed with SIGKILL leaves its socket file behind.
  const stale = join(dir, 'stale.sock');
  const r = spawnSync(process.execPath, [
    '-e',
    `require('net').createServer().listen(${JSON.stringify(stale)}, () => process.kill(process.pid, 'SIGKILL'))`,
  ]);
  t.equal(r.signal, 'SIGKILL');
  t.ok(lstatSync(stale).isSocket(), 'the stale socket file is there');
  const again = new ControlServer({ path: stale, handle: async () => ({ fresh: true }) });
  await again.listen();
  t.teardown(() => again.close());
  const reply = await rawExchange(stale, '{"v":1,"id":1,"op":"ping"}\n', 1);
  t.same(JSON.parse(reply[0]!), { v: 1, id: 1, ok: true, result: { fresh: true } });

  const file = join(dir, 'plain');
  writeFileSync(file, 'data');
  await t.rejects(new ControlServer({ path: file, handle: async () => ({}) }).listen(), {
    code: 'ESOCKET',
    message: `${file} exists and is not a socket; not replacing it`,
  });
  t.equal(readFileSync(file, 'utf8'), 'data');
});

t.test('close() removes the socket file', async (t) => {
  const { s, path } = await server(t);
  await s.close();
  t.notOk(existsSync(path));
});
