// ha-cli: the arguments of `npm run lab -- ha ...` (lab/cli.ts hands them over): `failback`,
// `--no-sync`, `--advert-int S` (below 1 s, or any fraction, selects VRRPv3, as keepalived
// requires). A failure or Ctrl-C during `ha` removes the lab again; after a run it stays up.

import { haDemo, haFailback, type HaDemoOptions } from './ha-demo.ts';
import { HaTopology } from './ha-topology.ts';
import { LabDaemon } from './lab-daemon.ts';
import { LabTopology } from './topology.ts';
import { tearDownLeftover } from './dr-demo.ts';

/** Seconds a returning lvs1 waits before it preempts: time for its backup sync daemon to learn. */
const PREEMPT_DELAY_SEC = 5;

export function parseHaArgs(args: readonly string[]): { failback: boolean; opts: HaDemoOptions } {
  let advertInt = 1;
  let sync = true;
  let failback = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === 'failback') failback = true;
    else if (a === '--no-sync') sync = false;
    else if (a === '--advert-int') {
      advertInt = Number(args[++i]);
      if (!(advertInt >= 0.01 && advertInt <= 255))
        throw new Error('--advert-int takes seconds from 0.01 to 255 (keepalived: advert_int)');
    } else throw new Error(`ha: unknown argument ${a} (failback, --no-sync, --advert-int S)`);
  }
  const v3 = !Number.isInteger(advertInt);
  return {
    failback,
    opts: { sync, vrrp: { advertInt, version: v3 ? 3 : 2, preemptDelaySec: PREEMPT_DELAY_SEC } },
  };
}

export async function haCommand(prefix: string, args: readonly string[]): Promise<void> {
  const { failback, opts } = parseHaArgs(args);
  if (failback) {
    await haFailback(prefix, opts);
    return;
  }
  tearDownLeftover(prefix, new LabDaemon(new LabTopology(prefix)));
  const topo = new HaTopology(prefix);
  const abort = (): void => {
    topo.down();
    process.exit(130);
  };
  process.once('SIGINT', abort);
  try {
    await haDemo(prefix, opts);
  } catch (e) {
    topo.down();
    throw e;
  } finally {
    process.removeListener('SIGINT', abort);
  }
}
