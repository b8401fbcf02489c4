#!/usr/bin/env node
// tsvsd: the tsvs daemon (control-plane half: src/ctl/daemon.ts). Flags, logging, signals:
// SIGTERM/SIGINT stop cleanly (socket removed, pending saves written), SIGHUP reloads the
// config without dropping state. The packet engine plugs in with daemon.attachDataPlane().

import { TsvsDaemon } from '../ctl/daemon.ts';
import { isLevel, Logger, type Level } from '../ctl/logger.ts';
import { TSVS_VERSION } from '../ctl/usage.ts';

const USAGE = `Usage: tsvsd [--config FILE] [--rules FILE] [--socket PATH] [--log-level LEVEL]

  --config FILE      configuration ([daemon], [engine], [rules]); e.g. /etc/tsvs/tsvsd.conf
  --rules FILE       rules file, saved on every change (default /var/lib/tsvs/rules)
  --socket PATH      control socket (default $TSVS_SOCKET, else /run/tsvs/tsvsd.sock)
  --log-level LEVEL  debug, info, warn or error (default info)
  --help             this help
  --version          version

Signals: SIGTERM/SIGINT stop, SIGHUP reloads the config. Manage it with tsvsadm.
`;

interface Flags {
  config?: string;
  rules?: string;
  socket?: string;
  logLevel?: Level;
}

function usageError(msg: string): never {
  process.stderr.write(`tsvsd: ${msg}\n${USAGE}`);
  process.exit(2);
}

function parseFlags(argv: readonly string[]): Flags {
  const f: Flags = {};
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
      process.stdout.write(`tsvsd v${TSVS_VERSION}\n`);
      process.exit(0);
    } else if (name === '--config') f.config = value();
    else if (name === '--rules') f.rules = value();
    else if (name === '--socket') f.socket = value();
    else if (name === '--log-level') {
      const v = value();
      if (!isLevel(v)) usageError(`--log-level must be debug, info, warn or error`);
      f.logLevel = v;
    } else usageError(`unknown option ${a}`);
  }
  return f;
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  const log = new Logger({ level: flags.logLevel ?? 'info' });
  const envSocket = process.env['TSVS_SOCKET'];
  const socketPath = flags.socket ?? (envSocket !== undefined && envSocket !== '' ? envSocket : undefined);
  const daemon = new TsvsDaemon({
    logger: log,
    ...(flags.config !== undefined ? { configPath: flags.config } : {}),
    ...(flags.rules !== undefined ? { rulesPath: flags.rules } : {}),
    ...(socketPath !== undefined ? { socketPath } : {}),
  });
  try {
    await daemon.start();
  } catch (e) {
    log.error('tsvsd cannot start', { error: (e as Error).message });
    process.exit(1);
  }

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) process.exit(1); // a second signal: give up waiting
    stopping = true;
    log.info('stopping', { signal });
    daemon.stop().then(
      () => process.exit(0),
      (e: unknown) => {
        log.error('unclean stop', { error: (e as Error).message });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => {
    log.info('SIGHUP: reloading the config');
    void daemon.reload();
  });
}

void main();
