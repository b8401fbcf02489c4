// systemd-install: `tsvsd --install-systemd` and `--print-systemd-unit`. Renders the packaged unit
// (deploy/systemd/tsvsd.service.in) with this machine's node and the installed tsvsd/tsvsadm,
// installs it with the tsvs user (sysusers.d, else useradd --system) and a starter config.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: above src/bin/ (run by tsx) or dist/src/bin/ (installed). */
function packageRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const up = here.endsWith(join('dist', 'src', 'bin')) ? '../../..' : '../..';
  return join(here, up);
}

/** The built entry point (plain node runs it, also when this file runs under tsx). */
function entry(name: string): string {
  const js = join(packageRoot(), 'dist', 'src', 'bin', `${name}.js`);
  return existsSync(js) ? realpathSync(js) : js;
}

export interface UnitPaths {
  readonly node: string;
  readonly tsvsd: string;
  readonly tsvsadm: string;
}

export function installedPaths(): UnitPaths {
  return { node: process.execPath, tsvsd: entry('tsvsd'), tsvsadm: entry('tsvsadm') };
}

/** The unit text with @NODE@, @TSVSD@ and @TSVSADM@ replaced; paths with spaces are refused. */
export function renderUnit(template: string, p: UnitPaths): string {
  for (const v of [p.node, p.tsvsd, p.tsvsadm])
    if (/\s/.test(v)) throw new Error(`cannot write a unit for a path with white space: ${v}`);
  return template.replaceAll('@NODE@', p.node).replaceAll('@TSVSD@', p.tsvsd).replaceAll('@TSVSADM@', p.tsvsadm);
}

export function packagedUnit(): string {
  return renderUnit(
    readFileSync(join(packageRoot(), 'deploy', 'systemd', 'tsvsd.service.in'), 'utf8'),
    installedPaths(),
  );
}

const STARTER_CONFIG = `# tsvsd configuration (man tsvsd). The packet engine starts once [engine] names an interface:
# [engine]
# interface eth0
# Rules, in ipvsadm's words, applied at start and on reload:
# [rules]
# -A -t 192.0.2.10:80 -s wlc
`;

function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function run(cmd: string, args: readonly string[], say: (s: string) => void): void {
  say(`+ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`${cmd} failed (${r.error?.message ?? `exit ${String(r.status)}`})`);
}

/**
 * Writes the unit, the sysusers.d file and (when missing) /etc/tsvs/tsvsd.conf under root ('/'
 * for the machine itself); on the machine itself also creates the tsvs user and reloads systemd.
 */
export function installSystemd(root: string, say: (s: string) => void): void {
  const write = (path: string, text: string, keep: boolean): void => {
    const full = join(root, path);
    if (keep && existsSync(full)) return say(`kept ${full}`);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, text);
    say(`wrote ${full}`);
  };
  write('/etc/systemd/system/tsvsd.service', packagedUnit(), false);
  write(
    '/etc/sysusers.d/tsvs.conf',
    readFileSync(join(packageRoot(), 'deploy', 'systemd', 'tsvs.sysusers'), 'utf8'),
    false,
  );
  write('/etc/tsvs/tsvsd.conf', STARTER_CONFIG, true);
  if (root !== '/') return;
  if (spawnSync('getent', ['passwd', 'tsvs'], { stdio: 'ignore' }).status !== 0) {
    if (have('systemd-sysusers')) run('systemd-sysusers', ['/etc/sysusers.d/tsvs.conf'], say);
    else
      run(
        'useradd',
        [
          '--system',
          '--user-group',
          '--home-dir',
          '/var/lib/tsvs',
          '--no-create-home',
          '--shell',
          '/usr/sbin/nologin',
          'tsvs',
        ],
        say,
      );
  }
  if (existsSync('/run/systemd/system')) run('systemctl', ['daemon-reload'], say);
  say('now: systemctl enable --now tsvsd');
}
