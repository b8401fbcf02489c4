// Health-check and notify scripts do not inherit tsvsd's ambient capabilities (systemd's
// AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN): runCommand starts them through setpriv.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasAmbientCaps, scriptArgv } from '../../src/health/command.ts';

t.test('CapAmb of /proc/self/status tells whether there are ambient capabilities', async (t) => {
  t.equal(hasAmbientCaps('Name:\tnode\nCapInh:\t0000000000003000\nCapAmb:\t0000000000003000\n'), true);
  t.equal(hasAmbientCaps('Name:\tnode\nCapAmb:\t0000000000000000\n'), false);
  t.equal(hasAmbientCaps('Name:\tnode\n'), false, 'a kernel without ambient capabilities');
});

t.test('under ambient capabilities a script starts through setpriv, which empties them', async (t) => {
  t.same(scriptArgv(['/bin/check', '-x'], true), [
    'setpriv',
    '--inh-caps=-all',
    '--ambient-caps=-all',
    '--',
    '/bin/check',
    '-x',
  ]);
  t.same(scriptArgv(['/bin/check', '-x'], false), ['/bin/check', '-x']);
});

const root = process.getuid?.() === 0;
const setpriv = spawnSync('setpriv', ['--version'], { stdio: 'ignore' }).status === 0;
const skip = !root
  ? 'needs root to raise ambient capabilities'
  : !setpriv
    ? 'setpriv (util-linux) is not installed'
    : false;

t.test('a script run by a process with ambient CAP_NET_RAW has none', { skip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsvs-caps-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'capamb');
  const command = fileURLToPath(new URL('../../src/health/command.ts', import.meta.url));
  const ambientRaw = ['--inh-caps=+net_raw', '--ambient-caps=+net_raw', '--'];
  // Without runCommand, a program started with CAP_NET_RAW ambient passes it on to what it runs.
  const direct = spawnSync('setpriv', [...ambientRaw, 'sh', '-c', 'grep CapAmb /proc/self/status'], {
    encoding: 'utf8',
  });
  t.equal(direct.stdout, 'CapAmb:\t0000000000002000\n', 'a plain child inherits CAP_NET_RAW (bit 13)');
  // A node process started that way, as systemd starts tsvsd, runs a script through runCommand;
  // the script writes its own CapAmb line to a file.
  const program =
    'const { runCommand } = await import(process.argv[1]);' +
    "const r = await runCommand(['sh', '-c', 'grep CapAmb /proc/self/status > \"$0\"', process.argv[2]], { timeoutMs: 10000 });" +
    "process.stdout.write(String(r.code) + ' ' + r.error);";
  const r = spawnSync(
    'setpriv',
    [...ambientRaw, process.execPath, '--import', 'tsx', '--input-type=module', '-e', program, command, out],
    { encoding: 'utf8', timeout: 30_000 },
  );
  t.equal(r.stdout, '0 ', 'the script ran and exited 0');
  t.equal(readFileSync(out, 'utf8'), 'CapAmb:\t0000000000000000\n', 'the script has no ambient capabilities');
});
