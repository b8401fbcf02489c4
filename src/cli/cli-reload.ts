// tsvsadm --reload: asks tsvsd to reload its config over the control socket, as SIGHUP does,
// and prints what changed, or why nothing did (tsvsd then keeps its running configuration).

import { TsvsError } from '../lib/errors.ts';
import type { ControlClient } from '../wire/client.ts';
import { EXIT_FAILURE, EXIT_OK, PROGRAM, type CliIo } from './cli-report.ts';

export const RELOAD_FLAG = '--reload';

export async function runReload(c: ControlClient, io: Pick<CliIo, 'stdout' | 'stderr'>): Promise<number> {
  let r: { config?: string | null; changes?: Record<string, number> };
  try {
    r = await c.request<typeof r>('reload');
  } catch (e) {
    if (e instanceof TsvsError && e.code === 'ERELOAD') {
      io.stderr(`${PROGRAM}: ${e.message}\n`);
      return EXIT_FAILURE;
    }
    throw e;
  }
  if (r.config === null) {
    io.stdout('tsvsd runs without a config file (--config): no rules to reload\n');
    return EXIT_OK;
  }
  const parts = Object.entries(r.changes ?? {}).map(([k, v]) => `${k}=${v}`);
  io.stdout(`tsvsd reloaded ${r.config ?? 'its config'}: ${parts.length > 0 ? parts.join(' ') : 'no changes'}\n`);
  return EXIT_OK;
}
