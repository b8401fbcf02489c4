// tsvsd --install-systemd --root DIR writes the unit with this machine's paths, the sysusers.d
// file and a starter config (kept when there is one); renderUnit refuses paths systemd would split.
// The unit passes systemd-analyze verify, and its ExecReload (a live takeover) is run for real:
// a tsvsd started by the unit's ExecStart hands over to the one ExecReload starts, which PIDFile
// then names.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderUnit } from '../../src/bin/systemd-install.ts';
import { readPidFile } from '../../src/daemon/pid-file.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { ROOT, runTsvsd, tempDir, tsvsadm } from './fixtures/procs.ts';

t.test('--install-systemd --root DIR writes the unit, the tsvs user and a starter config', async (t) => {
  const dir = tempDir(t);
  const first = await runTsvsd(['--install-systemd', '--root', dir]);
  t.equal(first.code, 0, first.stderr);
  const unitPath = join(dir, 'etc/systemd/system/tsvsd.service');
  t.equal(
    first.stdout,
    `wrote ${unitPath}\nwrote ${join(dir, 'etc/sysusers.d/tsvs.conf')}\nwrote ${join(dir, 'etc/tsvs/tsvsd.conf')}\n`,
  );
  const unit = readFileSync(unitPath, 'utf8');
  const tsvsd = join(ROOT, 'dist/src/bin/tsvsd.js');
  t.match(
    unit,
    `\nExecStart=${process.execPath} ${tsvsd} --config /etc/tsvs/tsvsd.conf --rules /var/lib/tsvs/rules --pid-file /run/tsvs/tsvsd.pid\n`,
  );
  t.match(unit, `until ${process.execPath} ${join(ROOT, 'dist/src/bin/tsvsadm.js')} -Ln >/dev/null`);
  t.notMatch(unit, /@[A-Z]+@/, 'every placeholder is filled');
  t.match(unit, '\nUser=tsvs\n');
  t.match(
    readFileSync(join(dir, 'etc/sysusers.d/tsvs.conf'), 'utf8'),
    /^u tsvs - "tsvs load balancer" \/var\/lib\/tsvs /m,
  );

  writeFileSync(join(dir, 'etc/tsvs/tsvsd.conf'), '[rules]\n');
  const again = await runTsvsd(['--install-systemd', '--root', dir]);
  t.equal(again.code, 0);
  t.match(again.stdout, `kept ${join(dir, 'etc/tsvs/tsvsd.conf')}\n`);
  t.equal(readFileSync(join(dir, 'etc/tsvs/tsvsd.conf'), 'utf8'), '[rules]\n', "the operator's config stays");
});

t.test('--print-systemd-unit prints what --install-systemd writes; other options are refused', async (t) => {
  const printed = await runTsvsd(['--print-systemd-unit']);
  t.equal(printed.code, 0);
  t.match(printed.stdout, /^# systemd unit for tsvsd/);
  const bad = await runTsvsd(['--install-systemd', '--prefix', '/x']);
  t.equal(bad.code, 2);
  t.match(bad.stderr, /^tsvsd: --install-systemd takes no options but --root DIR\n/);
});

t.test('renderUnit fills the paths and refuses one with white space', async (t) => {
  const tpl = 'ExecStart=@NODE@ @TSVSD@\nExecStartPost=@NODE@ @TSVSADM@ -Ln\n';
  t.equal(
    renderUnit(tpl, { node: '/usr/bin/node', tsvsd: '/opt/t/tsvsd.js', tsvsadm: '/opt/t/tsvsadm.js' }),
    'ExecStart=/usr/bin/node /opt/t/tsvsd.js\nExecStartPost=/usr/bin/node /opt/t/tsvsadm.js -Ln\n',
  );
  t.throws(() => renderUnit(tpl, { node: '/usr/bin/node', tsvsd: '/my dir/tsvsd.js', tsvsadm: '/x' }), {
    message: 'cannot write a unit for a path with white space: /my dir/tsvsd.js',
  });
});

/** The unit rendered with wrappers that run this checkout's sources, its paths moved into dir. */
function unitIn(dir: string): { unit: string; line: (key: string) => string; env: NodeJS.ProcessEnv } {
  const wrap = (name: string): string => {
    const p = join(dir, `${name}.sh`);
    writeFileSync(p, `cd ${ROOT} && exec ${process.execPath} --import tsx src/bin/${name}.ts "$@"\n`);
    return p;
  };
  const unit = renderUnit(readFileSync(join(ROOT, 'deploy/systemd/tsvsd.service.in'), 'utf8'), {
    node: '/bin/sh',
    tsvsd: wrap('tsvsd'),
    tsvsadm: wrap('tsvsadm'),
  })
    .replaceAll('/etc/tsvs/', `${dir}/`)
    .replaceAll('/var/lib/tsvs/', `${dir}/`)
    .replaceAll('/run/tsvs/', `${dir}/`);
  /** A key's value as systemd passes it to /bin/sh -c: "$$" is a literal "$". */
  const line = (key: string): string => {
    const m = new RegExp(`^${key}=(.*)$`, 'm').exec(unit);
    if (m === null) throw new Error(`the unit has no ${key}=`);
    return m[1]!.replaceAll('$$', '$');
  };
  const socket = /^Environment=TSVS_SOCKET=(\S+)$/m.exec(unit)![1]!;
  return { unit, line, env: { ...process.env, TSVS_SOCKET: socket } };
}

function exited(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}

t.test('systemd-analyze verify accepts the unit, with no warning', async (t) => {
  if (spawnSync('systemd-analyze', ['--version']).error !== undefined) {
    t.comment('skipped: systemd-analyze is not installed');
    return;
  }
  const dir = tempDir(t);
  const path = join(dir, 'tsvsd.service');
  writeFileSync(path, unitIn(dir).unit);
  const r = spawnSync('systemd-analyze', ['verify', '--man=no', path], { encoding: 'utf8', timeout: 60_000 });
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stderr, '', 'no warning (an unknown key or a bad value is only warned about)');
});

t.test("ExecReload hands the running tsvsd's table to a new one, which PIDFile then names", async (t) => {
  const dir = tempDir(t);
  const { unit, line, env } = unitIn(dir);
  const pidFile = line('PIDFile');
  t.match(line('ExecStart'), `--pid-file ${pidFile}`, 'ExecStart writes the PIDFile');
  writeFileSync(join(dir, 'tsvsd.conf'), '[rules]\n-A -t 192.0.2.10:80 -s wlc\n');
  const log = openSync(join(dir, 'tsvsd.log'), 'a');
  const pids: number[] = [];
  t.teardown(() => {
    for (const p of [...pids, readPidFile(pidFile) ?? 0]) if (p > 0 && !exited(p)) process.kill(p, 'SIGKILL');
  });
  const first = spawn('/bin/sh', ['-c', `exec ${line('ExecStart')}`], { env, stdio: ['ignore', log, log] });
  pids.push(first.pid!);
  await waitFor('the first tsvsd to write its pid', () => readPidFile(pidFile) === first.pid, { timeoutMs: 30_000 });
  const add = await tsvsadm(['-a', '-t', '192.0.2.10:80', '-r', '192.0.2.20:80', '-m'], '', env);
  t.equal(add.code, 0, add.stderr);

  const reload = spawn('/bin/sh', ['-c', line('ExecReload')], { env, stdio: ['ignore', log, log] });
  const code = await new Promise<number | null>((r) => reload.on('exit', (c) => r(c)));
  t.equal(code, 0, code === 0 ? 'ExecReload succeeded' : readFileSync(join(dir, 'tsvsd.log'), 'utf8').slice(-2000));
  const next = readPidFile(pidFile);
  t.ok(next !== null && next !== first.pid, `PIDFile names the new tsvsd (${next})`);
  pids.push(next ?? 0);
  await waitFor('the old tsvsd to exit', () => exited(first.pid!), { timeoutMs: 15_000 });
  t.ok(!exited(next!), 'the new tsvsd runs');
  const list = await tsvsadm(['-Ln'], '', env);
  t.match(
    list.stdout,
    /TCP\s+192\.0\.2\.10:80 wlc\n\s+-> 192\.0\.2\.20:80\s+Masq/,
    'it serves the rules, the added server too',
  );
  t.match(unit, /\nPIDFile=/);

  process.kill(next!, 'SIGTERM');
  await waitFor('the new tsvsd to stop', () => exited(next!), { timeoutMs: 15_000 });
  t.equal(readPidFile(pidFile), null, 'a stop removes the pid file');
});
