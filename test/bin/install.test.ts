// The package as an operator installs it: npm pack (only what runs), npm install -g into a
// temporary prefix (the native addon builds at install time), then the installed tsvsd and
// tsvsadm talk over a socket, and the installed unit renders with the installed paths.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './fixtures/procs.ts';

const npm = spawnSync('npm', ['--version'], { stdio: 'ignore' }).status === 0;
const HEADER =
  'IP Virtual Server version 1.2.1 (size=4096)\n' +
  'Prot LocalAddress:Port Scheduler Flags\n' +
  '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n';

// npm install -g builds three native addons: seconds on an idle machine, minutes on a busy one
// (package.json's tap timeout allows 600 s per file).
function run(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = {}, cwd = ROOT) {
  const r = spawnSync(cmd, args, { cwd, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 400_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, error: r.error?.message ?? '' };
}

async function waitForSocket(path: string, alive: () => boolean): Promise<void> {
  for (let i = 0; i < 1200 && !existsSync(path); i++) {
    if (!alive()) throw new Error('tsvsd exited before it created its socket');
    await new Promise((r) => setTimeout(r, 50));
  }
}

t.test(
  'npm pack and npm install -g give working tsvsd and tsvsadm',
  { skip: npm ? false : 'npm is not on PATH' },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'tsvs-install-'));
    let pid = 0;
    try {
      // --ignore-scripts: npm test's set-up has just built dist/; prepare would build it again in
      // place while other suites read it.
      const pack = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir]);
      t.equal(pack.code, 0, 'npm pack succeeds', { stderr: pack.stderr });
      const info = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
      const files = info[0]!.files.map((f) => f.path);
      t.same(
        files.filter((f) => /^(test|bench|lab)\/|^native\/(build|test)\//.test(f)),
        [],
        'no tests, benches or builds',
      );
      const runs =
        /^(dist\/src\/.*\.js|native\/[^/]+|deploy\/(systemd|completion)\/.+|doc\/man\/.+\.8|[A-Z]+(\.md)?|package\.json)$/;
      t.same(
        files.filter((f) => !runs.test(f)),
        [],
        'only what runs: dist/src, native sources, the unit, completion, man pages, LICENSE, README, CHANGELOG',
      );
      for (const want of [
        'dist/src/bin/tsvsd.js',
        'dist/src/bin/tsvsadm.js',
        'native/binding.gyp',
        'native/addon.c',
        'native/install.mjs',
        'deploy/systemd/tsvsd.service.in',
        'deploy/completion/tsvsadm.bash',
        'doc/man/tsvsd.8',
        'doc/man/tsvsadm.8',
        'LICENSE',
        'CHANGELOG.md',
        'README.md',
      ])
        t.ok(files.includes(want), `the tarball holds ${want}`);

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
      t.equal(inst.code, 0, 'npm install -g succeeds', { stderr: inst.stderr.slice(-4000) });
      t.match(inst.stderr + inst.stdout, /tsvs: native addon (built|not built)/, 'the install script said what it did');
      const bin = join(prefix, 'bin');
      const version = run(join(bin, 'tsvsd'), ['--version']);
      t.equal(version.code, 0);
      // With a compiler, make and Node's headers on the machine nothing is missing for the build;
      // elsewhere --version must agree with what the install script said.
      const toolchain =
        ['cc', 'make'].every((c) => spawnSync('sh', ['-c', `command -v ${c}`], { stdio: 'ignore' }).status === 0) &&
        existsSync('/usr/include/node/node_api.h');
      const built = /tsvs: native addon built/.test(inst.stderr + inst.stdout);
      if (toolchain) t.ok(built, 'the install built the native addon');
      t.match(
        version.stdout,
        built
          ? /^tsvsd 0\.1\.0 \(native addon: built \d{4}-\d\d-\d\d \d\d:\d\d UTC for node-abi \d+\)\n$/
          : /^tsvsd 0\.1\.0 \(native addon: not built\)\n$/,
      );

      const socket = join(dir, 's.sock');
      const proc = spawn(join(bin, 'tsvsd'), ['--backend', 'none', '--socket', socket, '--rules', join(dir, 'rules')], {
        stdio: 'ignore',
      });
      pid = proc.pid ?? 0;
      await waitForSocket(socket, () => proc.exitCode === null);
      const list = run(join(bin, 'tsvsadm'), ['-Ln'], { TSVS_SOCKET: socket });
      t.equal(list.stderr, '');
      t.equal(list.stdout, HEADER);

      const pkg = join(prefix, 'lib', 'node_modules', 'tsvs');
      for (const page of ['tsvsd.8', 'tsvsadm.8'])
        t.ok(existsSync(join(prefix, 'share', 'man', 'man8', page)), `npm linked ${page} into the prefix's man8`);
      const unit = run(join(bin, 'tsvsd'), ['--print-systemd-unit']);
      t.match(unit.stdout, `\nExecStart=${process.execPath} ${join(pkg, 'dist', 'src', 'bin', 'tsvsd.js')} --config `);
      if (spawnSync('systemd-analyze', ['--version'], { stdio: 'ignore' }).status === 0) {
        const path = join(dir, 'tsvsd.service');
        writeFileSync(path, unit.stdout);
        const verify = run('systemd-analyze', ['verify', '--man=no', path]);
        t.equal(verify.code, 0, 'systemd-analyze verify accepts the unit', { stderr: verify.stderr });
      }

      // Without a C compiler the install script says so and succeeds.
      const bare = join(dir, 'bare-path');
      mkdirSync(bare);
      symlinkSync('/bin/sh', join(bare, 'sh'));
      const nocc = run(process.execPath, [join(pkg, 'native', 'install.mjs')], { PATH: bare }, join(pkg, 'native'));
      t.equal(nocc.code, 0);
      t.equal(nocc.stderr, 'tsvs: native addon not built (no C compiler); tsvsd will use the libpcap backend\n');
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
