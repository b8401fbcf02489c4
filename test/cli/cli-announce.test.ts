// tsvsadm --announce: the routing commands follow a real tsvsd control socket (its real servers'
// weights, its death) and a stopped announcer withdraws; the commands are real shell commands
// that append to a file, and the in-process tsvsadm is the one the tsvsadm binary runs.
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { cli, startDaemon, tempDir } from './fixtures/harness.ts';
import { runAnnounce, reasonToWithdraw } from '../../src/cli/cli-announce.ts';
import { waitFor } from '../helpers/wait-for.ts';

const VS = '192.168.88.5:80';

function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : [];
}

function output(): { io: Parameters<typeof runAnnounce>[0]['io']; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: {
      stdout: (s) => out.push(s),
      stderr: (s) => err.push(s),
      readStdin: async () => '',
      env: {},
    },
  };
}

t.test('announces while a real server has weight, withdraws without one, when tsvsd dies and on stop', async (t) => {
  const d = await startDaemon(t);
  const file = join(d.dir, 'routing');
  const { io, out, err } = output();
  const stop = new AbortController();
  const done = runAnnounce({
    socket: d.socket,
    up: `echo up >> ${file}`,
    down: `echo down >> ${file}`,
    io,
    stop: stop.signal,
    pollMs: 20,
  });
  const seen = (n: number, what: string): Promise<boolean> =>
    waitFor(what, () => lines(file).length === n && out.length === n, { timeoutMs: 10_000 });

  await seen(1, 'the first decision');
  t.same(lines(file), ['down'], 'no service: withdrawn');
  t.match(out[0], /^\d{4}-\d\d-\d\dT[\d:.]+Z withdraw \(no real server with weight > 0\)\n$/);

  await cli(d.socket, ['-A', '-t', VS, '-s', 'mh']);
  await cli(d.socket, ['-a', '-t', VS, '-r', '192.168.99.100:80', '-g', '-w', '1']);
  await seen(2, 'the announcement');
  t.same(lines(file), ['down', 'up'], 'a real server with weight 1: announced');
  t.match(out[1], /^\S+ announce\n$/);

  await cli(d.socket, ['-e', '-t', VS, '-r', '192.168.99.100:80', '-g', '-w', '0']);
  await seen(3, 'the withdrawal at weight 0');
  await cli(d.socket, ['-e', '-t', VS, '-r', '192.168.99.100:80', '-g', '-w', '2']);
  await seen(4, 'the announcement at weight 2');
  t.same(lines(file), ['down', 'up', 'down', 'up'], 'weight 0 (a failed health check) withdraws, weight 2 announces');

  await d.daemon.stop();
  await seen(5, 'the withdrawal when tsvsd is gone');
  t.match(out[4], /^\S+ withdraw \(tsvsd: cannot connect to tsvsd at .*tsvsd\.sock \(.*\): is the daemon running\?/);

  stop.abort();
  t.equal(await done, 0, 'stopped: exit 0');
  t.same(lines(file), ['down', 'up', 'down', 'up', 'down', 'down'], 'each change ran its command once, stop withdrew');
  t.match(out[5], /^\S+ withdraw \(announcer stopped\)\n$/);
  t.same(err, []);
});

t.test('a failed command is reported and run again at the next poll', async (t) => {
  const d = await startDaemon(t);
  await cli(d.socket, ['-A', '-t', VS, '-s', 'sh']);
  await cli(d.socket, ['-a', '-t', VS, '-r', '192.168.99.100:80', '-g']);
  const file = join(d.dir, 'routing');
  const flag = join(d.dir, 'failed-once');
  const { io, out, err } = output();
  const stop = new AbortController();
  const done = runAnnounce({
    socket: d.socket,
    up: `test -e ${flag} || { touch ${flag}; echo bgp daemon not ready >&2; exit 3; }; echo up >> ${file}`,
    down: `echo down >> ${file}`,
    io,
    stop: stop.signal,
    pollMs: 20,
  });
  await waitFor('the retried announcement', () => out.length === 1, { timeoutMs: 10_000 });
  stop.abort();
  await done;
  t.same(err, [
    `tsvsadm: test -e ${flag} || { touch ${flag}; echo bgp daemon not ready >&2; exit 3; }; echo up >> ${file}: bgp daemon not ready\n`,
  ]);
  t.same(lines(file), ['up', 'down'], 'announced at the second try, withdrawn on stop');
  t.equal(out.length, 2);
});

t.test('a tsvsd that does not answer in time is a reason to withdraw', async (t) => {
  const dir = tempDir(t);
  const { createServer } = await import('node:net');
  const socket = join(dir, 'hung.sock');
  const server = createServer(() => undefined); // accepts, never answers: a stopped or hung tsvsd
  await new Promise<void>((r) => server.listen(socket, r));
  t.teardown(() => server.close());
  t.equal(await reasonToWithdraw(socket, 100), 'tsvsd: tsvsd did not answer list within 100 ms');
});

t.test('--announce needs two commands: a usage error (exit 2) before connecting', async (t) => {
  const r = await cli('/nonexistent/tsvsd.sock', ['--announce', 'birdc enable vip']);
  t.same(r, {
    code: 2,
    stdout: '',
    stderr:
      "tsvsadm: --announce takes two commands, UP-COMMAND and DOWN-COMMAND, e.g. --announce 'birdc enable vip' 'birdc disable vip'\n",
  });
});

t.test('the tsvsadm binary withdraws on SIGTERM and exits 0', async (t) => {
  const d = await startDaemon(t);
  await cli(d.socket, ['-A', '-t', VS, '-s', 'mh']);
  await cli(d.socket, ['-a', '-t', VS, '-r', '192.168.99.100:80', '-g']);
  const file = join(d.dir, 'routing');
  const bin = new URL('../../src/bin/tsvsadm.ts', import.meta.url).pathname;
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', bin, '--socket', d.socket, '--announce', `echo up >> ${file}`, `echo down >> ${file}`],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  await waitFor('the announcement', () => lines(file).includes('up'), { timeoutMs: 30_000 });
  child.kill('SIGTERM');
  t.equal(await exited, 0);
  t.same(lines(file), ['up', 'down']);
  t.match(out, /announce\n.*withdraw \(announcer stopped\)\n$/);
});
