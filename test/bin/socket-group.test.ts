// [daemon] socket-group / socket-mode: members of the operators' group use tsvsadm without root,
// everyone else is told it is a permission matter, not a missing daemon. Needs root and groupadd
// (a temporary group is created and removed, also on failure).
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, startTsvsd, tempDir, type Run } from './fixtures/procs.ts';
import { resolveGroup } from '../../src/daemon/config-daemon.ts';

const NOBODY = 65534;
const haveGroupadd = spawnSync('groupadd', ['--help']).error === undefined;
const haveSetpriv = spawnSync('setpriv', ['--help']).error === undefined;

/** tsvsadm as nobody with the given group and no other (bounded to 20 s). */
function tsvsadmAs(gid: number, args: string[]): Promise<Run> {
  // Through setpriv and `env -i` rather than spawn's uid/gid: the test runner gives node children
  // NODE_OPTIONS hooks that write where nobody may not.
  const env = ['env', '-i', `PATH=${process.env['PATH'] ?? '/usr/bin:/bin'}`, 'HOME=/tmp'];
  const argv = ['--reuid', String(NOBODY), '--regid', String(gid), '--clear-groups', ...env, process.execPath];
  const p = spawn('setpriv', [...argv, '--import', 'tsx', 'src/bin/tsvsadm.ts', ...args], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: '/tmp' },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 20_000,
  });
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    p.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    p.on('error', reject);
    p.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

const why =
  process.getuid?.() !== 0
    ? 'needs root (chown to a group, run as nobody)'
    : !haveGroupadd
      ? 'needs groupadd to create a temporary group'
      : !haveSetpriv
        ? 'needs setpriv (util-linux) to run tsvsadm as nobody'
        : null;
if (why !== null) t.plan(0, `skipped: ${why}`);
else
  t.test('the socket group may use tsvsadm; others get a permission message', async (t) => {
    const group = `tsvs${process.pid % 100000}`;
    const add = spawnSync('groupadd', [group], { encoding: 'utf8' });
    if (add.status !== 0) throw new Error(`groupadd ${group}: ${add.stderr}`);
    try {
      const gid = resolveGroup(group);
      const dir = tempDir(t);
      chmodSync(dir, 0o711); // nobody may pass through to the socket's directory
      const socket = join(dir, 'run', 'tsvsd.sock');
      const conf = join(dir, 'tsvsd.conf');
      writeFileSync(conf, `[daemon]\nsocket-group ${group}\n[rules]\n-A -t 192.168.88.5:80 -s rr\n`);
      const d = await startTsvsd(
        t,
        ['--config', conf, '--socket', socket, '--rules', join(dir, 'rules'), '--backend', 'none'],
        socket,
      );
      const sock = statSync(socket);
      t.equal(sock.gid, gid);
      t.equal((sock.mode & 0o777).toString(8), '660');
      const sdir = statSync(join(dir, 'run'));
      t.equal(sdir.gid, gid);
      t.equal((sdir.mode & 0o777).toString(8), '750');

      const member = await tsvsadmAs(gid, ['--socket', socket, '-S', '-n']);
      t.equal(member.stderr, '');
      t.equal(member.code, 0);
      t.equal(member.stdout, '-A -t 192.168.88.5:80 -s rr\n');

      chmodSync(join(dir, 'run'), 0o755); // let others reach the socket itself, which stays 0660
      const other = await tsvsadmAs(NOBODY, ['--socket', socket, '-L', '-n']);
      t.equal(other.code, 1);
      t.equal(
        other.stderr,
        `tsvsadm: permission denied on ${socket}: run as root or as a member of the socket's group\n`,
      );
      process.kill(d.proc.pid!, 'SIGTERM');
      t.equal((await d.done).code, 0);
    } finally {
      spawnSync('groupdel', [group]);
    }
  });
