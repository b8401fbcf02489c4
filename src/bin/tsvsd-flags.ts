// parseTsvsdFlags: tsvsd's command line (the long options of its --help, tsvsd-usage.ts), with
// --help, --version and the systemd commands that print and exit; ipvsadm.c's parse_options()
// in spirit: a bad option is a usage error (exit 2) naming the option.

import { isLevel, isLogFormat, type Level, type LogFormat } from '../lib/logger.ts';
import { TSVS_VERSION } from '../ipvsadm/usage.ts';
import { nativeBuildSummary } from '../io/native-binding.ts';
import { installSystemd, packagedUnit } from './systemd-install.ts';
import { TSVSD_USAGE as USAGE } from './tsvsd-usage.ts';

/** tsvsd's options, as given (each unset when absent). */
export interface TsvsdFlags {
  config?: string;
  rules?: string;
  socket?: string;
  logLevel?: Level;
  logFormat?: LogFormat;
  backend?: string;
  health?: string;
  metrics?: string;
  takeover?: boolean;
  pidFile?: string;
}

/** Prints msg and the usage to stderr and exits 2, as ipvsadm's fail() does for a bad option. */
function usageError(msg: string): never {
  process.stderr.write(`tsvsd: ${msg}\n${USAGE}`);
  process.exit(2);
}

/** tsvsd's argv as TsvsdFlags; --help and --version print and exit, a bad option exits 2. */
export function parseTsvsdFlags(argv: readonly string[]): TsvsdFlags {
  const f: TsvsdFlags = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    const inline = a.startsWith('--') && eq > 0 ? a.slice(eq + 1) : undefined;
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') usageError(`${name} needs a value`);
      return v;
    };
    if (name === '--help' || name === '-h') {
      process.stdout.write(USAGE);
      process.exit(0);
    } else if (name === '--version') {
      process.stdout.write(`tsvsd ${TSVS_VERSION} (native addon: ${nativeBuildSummary()})\n`);
      process.exit(0);
    } else if (name === '--config') f.config = value();
    else if (name === '--rules') f.rules = value();
    else if (name === '--socket') f.socket = value();
    else if (name === '--health') f.health = value();
    else if (name === '--takeover' && inline === undefined) f.takeover = true;
    else if (name === '--pid-file') f.pidFile = value();
    else if (name === '--metrics') {
      const v = value();
      if (parseListenAddress(v) === null)
        usageError('--metrics takes ADDR:PORT with an IPv4 ADDR or [IPv6], e.g. 127.0.0.1:9101');
      f.metrics = v;
    } else if (name === '--backend') {
      const v = value();
      if (!['auto', 'native', 'pcap', 'none'].includes(v)) usageError('--backend must be auto, native, pcap or none');
      f.backend = v;
    } else if (name === '--log-level') {
      const v = value();
      if (!isLevel(v)) usageError(`--log-level must be debug, info, warn or error`);
      f.logLevel = v;
    } else if (name === '--log-format') {
      const v = value();
      if (!isLogFormat(v)) usageError('--log-format must be logfmt or json');
      f.logFormat = v;
    } else usageError(`unknown option ${a}`);
  }
  return f;
}

/** "127.0.0.1:9101" or "[::1]:9101" as host and port; null when malformed. */
export function parseListenAddress(v: string): { host: string; port: number } | null {
  const m = /^(?:(\d{1,3}(?:\.\d{1,3}){3})|\[([0-9A-Fa-f:.]+)\]):(\d{1,5})$/.exec(v);
  const port = m === null ? NaN : Number(m[3]);
  if (m === null || !(port >= 0 && port <= 65535)) return null;
  return { host: m[1] ?? m[2]!, port };
}

/** --print-systemd-unit and --install-systemd [--root DIR]: exits. */
export function systemdCommand(argv: readonly string[]): never {
  const root = argv[1] === '--root' && argv[2] !== undefined && argv.length === 3 ? argv[2] : '/';
  if (argv.length !== 1 && root === '/') usageError(`${argv[0]!} takes no options but --root DIR`);
  try {
    if (argv[0] === '--print-systemd-unit') process.stdout.write(packagedUnit());
    else installSystemd(root, (s) => process.stdout.write(`${s}\n`));
  } catch (e) {
    process.stderr.write(`tsvsd: ${(e as Error).message}\n`);
    process.exit(1);
  }
  process.exit(0);
}
