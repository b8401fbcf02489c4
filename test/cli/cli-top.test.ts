// tsvsadm --top against a real tsvsd: without a terminal it prints one frame and exits; in a
// tmux pane it repaints, and q or Ctrl-C give the terminal back (normal screen, cooked mode).
import t from 'tap';
import net from 'node:net';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, ROOT, startTsvsd, tempDir, tsvsadm, type Teardown } from '../bin/fixtures/procs.ts';
import { waitFor } from '../helpers/wait-for.ts';

function listen(t: Teardown): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer((c) => c.destroy());
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => resolve((s.address() as net.AddressInfo).port));
    t.teardown(() => new Promise<void>((r) => s.close(() => r())));
  });
}

const CHECK = 'TCP_CHECK {\n      connect_timeout 1\n    }';

/** tsvsd with a checked service (one server up, one refusing) and an unchecked one from tsvsadm. */
async function startDirector(t: Teardown) {
  const dir = tempDir(t);
  const socket = join(dir, 's.sock');
  const up = await listen(t);
  const down = await freePort(); // nothing listens there: the check is refused
  const conf = join(dir, 'health.conf');
  writeFileSync(
    conf,
    `virtual_server 127.0.0.1 8080 {\n  delay_loop 1\n  lb_algo wlc\n  lb_kind NAT\n  protocol TCP\n` +
      `  real_server 127.0.0.1 ${up} {\n    weight 2\n    ${CHECK}\n  }\n` +
      `  real_server 127.0.0.1 ${down} {\n    weight 1\n    ${CHECK}\n  }\n}\n`,
  );
  const daemon = await startTsvsd(
    t,
    ['--socket', socket, '--rules', join(dir, 'rules'), '--backend', 'none', '--health', conf],
    socket,
  );
  for (const args of [
    ['-A', '-t', '10.0.0.1:80', '-s', 'rr'],
    ['-a', '-t', '10.0.0.1:80', '-r', '10.0.0.2:80', '-m', '-w', '3'],
  ]) {
    const r = await tsvsadm(['--socket', socket, ...args]);
    if (r.code !== 0) throw new Error(`tsvsadm ${args.join(' ')}: ${r.stderr}`);
  }
  // Both verdicts are in once the refusing server has left its service and the other is UP.
  await waitFor('both health verdicts', async () => {
    const h = (await tsvsadm(['--socket', socket, '--health'])).stdout;
    return h.includes(`127.0.0.1:${up}`) && / UP /.test(h) && / DOWN /.test(h);
  });
  return { socket, up, down, daemon };
}

t.test('without a terminal --top prints one frame of services, servers, rates and health', async (t) => {
  const { socket, up, down } = await startDirector(t);
  const r = await tsvsadm(['--socket', socket, '--top'], '', { COLUMNS: '100' });
  t.equal(r.code, 0);
  t.equal(r.stderr, '');
  const lines = r.stdout.split('\n');
  t.match(lines[0], /^tsvs top - every 2 s - \d\d:\d\d:\d\d - 2 services, 3 real servers$/);
  const pad = (s: string) => s.padEnd(28);
  t.same(lines.slice(1), [
    'engine: none (control plane only)',
    '',
    'Prot LocalAddress:Port Sched Weight State Active  Inact    CPS  InPPS OutPPS  InB/s OutB/s',
    `${pad('TCP  10.0.0.1:80 rr')}                   0      0      0      0      0      0      0`,
    `${pad('  -> 10.0.0.2:80')}      3 -          0      0      0      0      0      0      0`,
    `${pad('TCP  127.0.0.1:8080 wlc')}        1/2        0      0      0      0      0      0      0`,
    `${pad(`  -> 127.0.0.1:${up}`)}      2 UP         0      0      0      0      0      0      0`,
    `${pad(`  -> 127.0.0.1:${down}`)}      0 DOWN       -      -      -      -      -      -      -`,
    '',
  ]);
  const narrow = await tsvsadm(['--socket', socket, '--top', '5'], '', { COLUMNS: '40' });
  t.equal(narrow.code, 0);
  t.match(narrow.stdout, /^tsvs top - every 5 s - \d\d:\d\d:\d\d - 2 /);
  t.ok(
    narrow.stdout.split('\n').every((l) => l.length <= 40),
    'every line fits $COLUMNS',
  );
});

t.test('-h lists --top; a bad interval is a usage error; a missing tsvsd is reported', async (t) => {
  const { socket } = await startDirector(t);
  for (const bad of [['0'], ['x'], ['-1'], ['1', '2']]) {
    const r = await tsvsadm(['--socket', socket, '--top', ...bad]);
    t.equal(r.code, 2, bad.join(' '));
    t.equal(r.stderr, 'tsvsadm: --top takes an optional refresh interval in seconds, e.g. tsvsadm --top 5\n');
  }
  const help = await tsvsadm(['-h']);
  t.match(
    help.stdout,
    '\n  tsvsadm --top [SECONDS]        live view of rates, connections, weights, health and drops,\n',
  );
  const gone = await tsvsadm(['--socket', join(tempDir(t), 'none.sock'), '--top']);
  t.equal(gone.code, 1);
  t.match(gone.stderr, /^tsvsadm: /);
});

/** tmux on PATH; installed with apt-get when missing and we are root; else why not. */
function tmuxUnavailable(): string | null {
  const has = () => spawnSync('tmux', ['-V']).status === 0;
  if (has()) return null;
  if (process.getuid?.() !== 0) return 'tmux is not installed (and installing it needs root)';
  const apt = spawnSync('apt-get', ['install', '-y', '-q', 'tmux'], { timeout: 180_000, stdio: 'ignore' });
  return has() ? null : `tmux is not installed and apt-get install tmux failed (status ${apt.status})`;
}

const noTmux = tmuxUnavailable();
t.test(
  'in a terminal --top repaints until q, Ctrl-C or a lost tsvsd, and restores the terminal',
  { skip: noTmux ?? false },
  async (t) => {
    const { socket, daemon } = await startDirector(t);
    // The tmux server's socket lives in the test's directory, so nothing is left behind.
    const server = join(tempDir(t), 'tmux.sock');
    const tmux = (...args: string[]) =>
      spawnSync('tmux', ['-S', server, ...args], { encoding: 'utf8', timeout: 10_000 });
    t.teardown(() => void tmux('kill-server'));
    const top = `${process.execPath} --import tsx src/bin/tsvsadm.ts --socket ${socket} --top 0.5`;
    // After tsvsadm: its status, then whether the line discipline is back in canonical mode.
    const after = `echo EXITED=$?; stty -a | tr ' ;' '\\n\\n' | grep -x -- '-\\?icanon'; read x`;
    const ways: [string, string, (win: string) => void][] = [
      ['q', 'EXITED=0', (win) => tmux('send-keys', '-t', win, 'q')],
      ['Ctrl-C', 'EXITED=0', (win) => tmux('send-keys', '-t', win, 'C-c')],
      ['tsvsd stopping', 'EXITED=1', () => process.kill(daemon.proc.pid!, 'SIGTERM')],
    ];
    for (const [i, [name, status, act]] of ways.entries()) {
      const win = `w${i}`;
      const made = tmux('new-session', '-d', '-s', win, '-x', '110', '-y', '20', '-c', ROOT, `${top}; ${after}`);
      t.equal(made.status, 0, `tmux session for ${name}: ${made.stderr}`);
      const pane = () => tmux('capture-pane', '-p', '-t', win).stdout;
      const first = await waitFor('the first frame', () => {
        const p = pane();
        return p.includes('  -> 10.0.0.2:80') ? p : '';
      });
      t.match(first, /^tsvs top - every 0\.5 s - (\d\d:\d\d:\d\d) - 2 services, 3 real servers$/m);
      t.match(first, /^TCP  127\.0\.0\.1:8080 wlc\s+1\/2\s/m);
      // Repainting: the clock in the title moves on.
      const clock = (p: string) => /- (\d\d:\d\d:\d\d) -/.exec(p)?.[1];
      const c0 = clock(first);
      await waitFor('a repaint with a later clock', () => {
        const c = clock(pane());
        return c !== undefined && c !== c0;
      });
      act(win);
      // Both lines of `after`: its status, then stty's verdict (printed a moment later).
      const done = await waitFor('tsvsadm to quit and stty to answer', () => {
        const p = pane();
        return p.includes('EXITED=') && /^-?icanon$/m.test(p) ? p : '';
      });
      t.match(done, new RegExp(`^${status}$`, 'm'), `${name}: tsvsadm exits (${status})`);
      if (status === 'EXITED=1') t.match(done, /^tsvsadm: \S/m, `${name}: the reason is printed`);
      t.match(done, /^icanon$/m, `${name}: the terminal is back in canonical mode`);
      t.notMatch(done, 'Prot LocalAddress', `${name}: the alternate screen is left`);
    }
  },
);
