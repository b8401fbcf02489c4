// The tutorial, verbatim, through the real binaries: tsvsd on a temporary socket and rules
// file, tsvsadm commands, then kill -9 the daemon, start it again, and the rules are back.
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTsvsd, tempDir, tsvsadm } from './fixtures/procs.ts';

const LN =
  'IP Virtual Server version 1.2.1 (size=4096)\n' +
  'Prot LocalAddress:Port Scheduler Flags\n' +
  '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n' +
  'TCP  192.168.88.5:80 rr\n' +
  '  -> 192.168.99.100:80            Masq    1      0          0         \n' +
  '  -> 192.168.99.200:80            Masq    2      0          0         \n';

t.test('the tutorial sequence gives the expected table, and it survives kill -9 and a restart', async (t) => {
  const dir = tempDir(t);
  const socket = join(dir, 'tsvsd.sock');
  const rules = join(dir, 'rules');
  const args = ['--socket', socket, '--rules', rules];
  const first = await startTsvsd(t, args, socket);
  const s = ['--socket', socket];

  for (const cmd of [
    ['-A', '-t', '192.168.88.5:80', '-s', 'rr'],
    ['-a', '-t', '192.168.88.5:80', '-r', '192.168.99.100:80', '-w', '1', '-m'],
    ['-a', '-t', '192.168.88.5:80', '-r', '192.168.99.200:80', '-w', '2', '-m'],
  ]) {
    t.same(await tsvsadm([...s, ...cmd]), { code: 0, signal: null, stdout: '', stderr: '' }, cmd.join(' '));
  }
  t.same(await tsvsadm([...s, '-Ln']), { code: 0, signal: null, stdout: LN, stderr: '' });
  t.match(readFileSync(rules, 'utf8'), /-a -t 192\.168\.88\.5:80 -r 192\.168\.99\.200:80 -m -w 2\n/);

  process.kill(first.proc.pid!, 'SIGKILL');
  const gone = await first.done;
  t.equal(gone.signal, 'SIGKILL');
  t.ok(existsSync(socket), 'a killed daemon leaves its socket behind');

  t.same(await tsvsadm([...s, '-Ln']), {
    code: 1,
    signal: null,
    stdout: '',
    stderr: `tsvsadm: cannot connect to tsvsd at ${socket} (connection refused): is the daemon running? Start it with: tsvsd --config /etc/tsvs/tsvsd.conf\n`,
  });

  const second = await startTsvsd(t, args, socket);
  t.same(await tsvsadm([...s, '-Ln']), { code: 0, signal: null, stdout: LN, stderr: '' }, 'the rules are back');

  process.kill(second.proc.pid!, 'SIGTERM');
  const stopped = await second.done;
  t.equal(stopped.code, 0, 'SIGTERM is a clean exit');
  t.notOk(existsSync(socket), 'and removes the socket');
  t.match(stopped.stderr, /level=info msg=stopping signal=SIGTERM\n/);
});

t.test('with no daemon at all tsvsadm names the socket, says how to start tsvsd, and exits 1', async (t) => {
  const socket = join(tempDir(t), 'absent.sock');
  t.same(await tsvsadm(['-Ln'], '', { TSVS_SOCKET: socket }), {
    code: 1,
    signal: null,
    stdout: '',
    stderr: `tsvsadm: cannot connect to tsvsd at ${socket} (no such file): is the daemon running? Start it with: tsvsd --config /etc/tsvs/tsvsd.conf\n`,
  });
});
