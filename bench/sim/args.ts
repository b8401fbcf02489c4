// Command line of npm run bench:sched (bench/sim/cli.ts). No kernel counterpart.

import { TsvsError } from '../../src/lib/errors.ts';

export interface CliArgs {
  readonly scenarios: readonly string[];
  readonly schedulers: readonly string[] | null;
  readonly seed: number | null;
  readonly durationSec: number | null;
  readonly out: string | null;
  readonly cost: boolean;
  readonly list: boolean;
  readonly help: boolean;
}

export const USAGE = `Usage: npm run bench:sched -- --scenario NAME|FILE[,NAME...] [options]
  --scenario S     a file, or a name in bench/scenarios (equal, weights-1-2, one-slow, server-fails,
                   servers-10000, flash-crowd, ...); "all" runs every scenario;
                   ecmp-director-fails / ecmp-director-added: N directors behind ECMP
                   (bench/sim/ecmp.ts)
  --schedulers L   comma-separated ipvsadm names (default: the scenario's list)
  --seed N         PRNG seed (default: the scenario's)
  --duration SEC   simulated seconds (default: the scenario's)
  --out DIR        report folder (default bench/out/sched-<scenario>)
  --no-cost        skip the scheduler cost bench (bench/sched.bench.ts, 10-20 s per scheduler)
  --list           list the scenarios and what each teaches
`;

function usage(msg: string): TsvsError {
  return new TsvsError('EINVAL', msg, { exitCode: 2 });
}

export function parseArgs(argv: readonly string[]): CliArgs {
  let scenarios: string[] = [];
  let schedulers: string[] | null = null;
  let seed: number | null = null;
  let durationSec: number | null = null;
  let out: string | null = null;
  let cost = true;
  let list = false;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    const value = (): string => {
      if (a.startsWith('--') && eq > 0) return a.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined || v === '') throw usage(`${name} needs a value`);
      return v;
    };
    switch (name) {
      case '--scenario':
        scenarios = value()
          .split(',')
          .filter((s) => s !== '');
        break;
      case '--schedulers':
        schedulers = value()
          .split(',')
          .filter((s) => s !== '');
        break;
      case '--seed': {
        const v = value();
        seed = Number(v);
        if (!/^\d+$/.test(v) || seed > 0xffffffff) throw usage(`--seed must be an integer 0..4294967295, not ${v}`);
        break;
      }
      case '--duration': {
        const v = value();
        durationSec = Number(v);
        if (!(durationSec > 0) || !Number.isFinite(durationSec))
          throw usage(`--duration must be a positive number of seconds, not ${v}`);
        break;
      }
      case '--out':
        out = value();
        break;
      case '--no-cost':
        cost = false;
        break;
      case '--cost':
        cost = true;
        break;
      case '--list':
        list = true;
        break;
      case '--help':
      case '-h':
        help = true;
        break;
      default:
        throw usage(`unknown option ${a}`);
    }
  }
  if (!help && !list && scenarios.length === 0) throw usage('--scenario is required');
  if (schedulers !== null && schedulers.length === 0) throw usage('--schedulers lists no scheduler');
  return { scenarios, schedulers, seed, durationSec, out, cost, list, help };
}
