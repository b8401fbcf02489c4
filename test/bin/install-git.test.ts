// tsvs installed from a git URL (a bare clone of this repository): npm clones it, installs its
// dependencies there, runs `prepare` (which builds dist/) and packs the `files`; the pack then
// installs with `npm install -g` into a temporary prefix and the installed tsvsd and tsvsadm talk
// over a socket, as in install.test.ts. `npm install -g git+...` in one step is npm/cli#8440 (the
// inner install of the git preparation inherits -g and replaces the global install directory),
// so the URL goes through `npm pack` first, as the README says.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './fixtures/procs.ts';

// npm installs every dependency, devDependencies included, in its clone before it packs it:
// minutes on a busy machine (package.json's tap timeout allows 600 s per file).
const npm = spawnSync('npm', ['--version'], { stdio: 'ignore' }).status === 0;
const git = spawnSync('git', ['-C', ROOT, 'rev-parse', 'HEAD'], { stdio: 'ignore' }).status === 0;
const HEADER =
  'IP Virtual Server version 1.2.1 (size=4096)\n' +
  'Prot LocalAddress:Port Scheduler Flags\n' +
  '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n';

function run(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = {}, cwd = ROOT) {
  const r = spawnSync(cmd, args, { cwd, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 500_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

t.test(
  'a git URL packs with dist/ built by prepare and installs working tsvsd and tsvsadm',
  { skip: !npm ? 'npm is not on PATH' : !git ? 'not a git checkout' : false, timeout: 590_000 },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'tsvs-install-git-'));
    let pid = 0;
    try {
      const repo = join(dir, 'tsvs.git');
      t.equal(run('git', ['clone', '-q', '--bare', ROOT, repo]).code, 0, 'a bare clone of HEAD');
      const pack = run(
        'npm',
        ['pack', '--json', '--prefer-offline', '--pack-destination', dir, `git+file://${repo}`],
        {},
        dir,
      );
      t.equal(pack.code, 0, 'npm pack of the git URL succeeds', { stderr: pack.stderr.slice(-4000) });
      const info = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
      const files = info[0]!.files.map((f) => f.path);
      for (const want of ['dist/src/bin/tsvsd.js', 'dist/src/bin/tsvsadm.js', 'native/addon.c', 'doc/man/tsvsd.8'])
        t.ok(files.includes(want), `the pack holds ${want}`);
      t.same(
        files.filter((f) =>
          /^(test|bench|lab|src)\/|^dist\/(lab|bench)\/|^native\/(build|test)\/|node_modules/.test(f),
        ),
        [],
        'the same files as a pack of a checkout: no sources, tests, benches, builds or modules',
      );

      const prefix = join(dir, 'prefix');
      const inst = run('npm', [
        'install',
        '-g',
        '--prefix',
        prefix,
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        '--foreground-scripts',
        '--allow-scripts=tsvs,cap,raw-socket',
        join(dir, info[0]!.filename),
      ]);
      t.equal(inst.code, 0, 'npm install -g of the pack succeeds', { stderr: inst.stderr.slice(-4000) });
      const bin = join(prefix, 'bin');
      const version = run(join(bin, 'tsvsd'), ['--version']);
      t.equal(version.code, 0);
      t.match(version.stdout, /^tsvsd 0\.1\.0 \(native addon: (built .* for node-abi \d+|not built)\)\n$/);

      const socket = join(dir, 's.sock');
      const proc = spawn(join(bin, 'tsvsd'), ['--backend', 'none', '--socket', socket, '--rules', join(dir, 'rules')], {
        stdio: 'ignore',
      });
      pid = proc.pid ?? 0;
      for (let i = 0; i < 1200 && !existsSync(socket) && proc.exitCode === null; i++)
        await new Promise((r) => setTimeout(r, 50));
      const list = run(join(bin, 'tsvsadm'), ['-Ln'], { TSVS_SOCKET: socket });
      t.equal(list.stderr, '');
      t.equal(list.stdout, HEADER);
    } finally {
      if (pid !== 0) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
