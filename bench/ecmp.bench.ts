// ecmp.bench: aggregate keep-alive req/s through 2 directors vs 1 on the same ECMP lab
// (lab/ecmp-topology.ts: router with an L4-hash multipath route learned from BIRD, DR directors
// running tsvsd with mh, nginx real servers), and the directors' CPU per request.
//
// One lab, both arms: "1 director" withdraws lvs2's VIP (`birdc disable vip` on its BIRD: the
// router's route keeps only lvs1), "2 directors" announces it again; the arms alternate, REPS
// rounds each, so both see the same box. Each round runs `wrk -tT -cC -dDs` in the client
// namespace against the VIP and reads the CPU ticks (utime+stime, and utime alone) of every process
// in the directors' namespaces from /proc before and after. Prints every round, the medians and
// the ratio 2/1. On a box with few cores wrk, nginx and the directors share them: the CPU per
// request is the figure that does not depend on what else runs.
//
// Usage: node --import tsx bench/ecmp.bench.ts [--reps 3] [--duration 5] [--conns 100] [--threads 2]

import { execFileSync } from 'node:child_process';
import { EcmpTopology } from '../lab/ecmp-topology.ts';
import { ensureBird, startDirectors } from '../lab/ecmp-demo.ts';
import { routeMatches, until } from '../lab/ecmp-experiment.ts';
import type { Director } from '../lab/ecmp-director.ts';
import { VIP_PROTOCOL } from '../lab/bird.ts';
import { netnsUnavailable, uniqueSuffix } from '../lab/netns.ts';
import { VIP } from '../lab/topology.ts';
import { parseWrk } from './compare/load.ts';
import { HZ, cpuDelta, cpuSnap, nsRun, nsTicks, nsUserTicks } from './compare/sys.ts';

interface Round {
  directors: number;
  rps: number;
  errors: number;
  /** Directors' CPU (all their namespaces' processes), microseconds per request. */
  cpuUsPerReq: number;
  userUsPerReq: number;
  boxBusyPct: number;
}

function option(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i < 0 ? def : Number(process.argv[i + 1]);
  if (!(v > 0)) throw new Error(`--${name} takes a positive number`);
  return v;
}

const REPS = option('reps', 3);
const DURATION_S = option('duration', 5);
const CONNS = option('conns', 100);
const THREADS = option('threads', 2);

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const uptime = (): string => execFileSync('uptime', { encoding: 'utf8' }).trim();

/** Announce lvs1's VIP, announce (2) or withdraw (1) lvs2's, and wait until the router's route says so. */
async function useDirectors(lab: EcmpTopology, n: 1 | 2): Promise<void> {
  const [lvs1, lvs2] = lab.directors as [Director, Director];
  for (const [d, on] of [
    [lvs1, true],
    [lvs2, n === 2],
  ] as const) {
    const r = d.bird.birdc(`${on ? 'enable' : 'disable'} ${VIP_PROTOCOL}`);
    if (!r.ok) throw new Error(`birdc on ${d.lvs}: ${r.out}`);
  }
  const want = n === 2 ? [lvs1, lvs2] : [lvs1];
  if (!(await until(() => routeMatches(lab, want), 30_000, 50)))
    throw new Error(`the router's route did not reach ${n} next hop(s):\n${lab.routeText()}`);
}

function round(lab: EcmpTopology, directors: number): Round {
  const nss = lab.directors.map((d) => d.lvs);
  const [t0, u0, box0] = [nsTicks(...nss), nsUserTicks(...nss), cpuSnap()];
  const r = nsRun(
    lab.client,
    'wrk',
    [`-t${THREADS}`, `-c${CONNS}`, `-d${DURATION_S}s`, '--latency', `http://${VIP}/`],
    DURATION_S + 15,
  );
  const [t1, u1, box1] = [nsTicks(...nss), nsUserTicks(...nss), cpuSnap()];
  const w = parseWrk(r.stdout);
  if (w === null || w.requests === 0) throw new Error(`wrk printed no rate (${r.status}): ${r.stdout}${r.stderr}`);
  const us = (ticks: number): number => (ticks * 1e6) / HZ / w.requests;
  return {
    directors,
    rps: w.rps,
    errors: w.errors,
    cpuUsPerReq: us(t1 - t0),
    userUsPerReq: us(u1 - u0),
    boxBusyPct: cpuDelta(box0, box1).busyPct,
  };
}

async function main(): Promise<void> {
  const why = netnsUnavailable() ?? ensureBird();
  if (why !== null) {
    process.stdout.write(`skipped: ${why}\n`);
    return;
  }
  const lab = new EcmpTopology(`tb${uniqueSuffix()}`);
  const stop = (): void => {
    lab.down();
    process.exit(130);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    lab.up({ directors: 2 });
    await startDirectors(lab, lab.directors);
    // The bench decides what is announced: the announcers would undo a withdrawal.
    for (const d of lab.directors) d.stopAnnouncer();
    process.stdout.write(`uptime before: ${uptime()}\n`);
    process.stdout.write(`wrk -t${THREADS} -c${CONNS} -d${DURATION_S}s, ${REPS} rounds per arm, arms alternating\n`);
    const rounds: Round[] = [];
    for (let i = 0; i < REPS; i++) {
      for (const n of [1, 2] as const) {
        await useDirectors(lab, n);
        const r = round(lab, n);
        rounds.push(r);
        process.stdout.write(
          `round ${i + 1} ${n} director(s): ${r.rps.toFixed(0)} req/s, ${r.errors} errors, directors' CPU ` +
            `${r.cpuUsPerReq.toFixed(2)} us/req (user ${r.userUsPerReq.toFixed(2)}), box busy ${r.boxBusyPct.toFixed(0)} %\n`,
        );
      }
    }
    process.stdout.write(`uptime after: ${uptime()}\n`);
    const med = (n: number, k: 'rps' | 'cpuUsPerReq' | 'userUsPerReq'): number =>
      median(rounds.filter((r) => r.directors === n).map((r) => r[k]));
    for (const n of [1, 2])
      process.stdout.write(
        `median ${n} director(s): ${med(n, 'rps').toFixed(0)} req/s, ${med(n, 'cpuUsPerReq').toFixed(2)} us/req ` +
          `(user ${med(n, 'userUsPerReq').toFixed(2)})\n`,
      );
    process.stdout.write(`ratio 2/1 directors: ${(med(2, 'rps') / med(1, 'rps')).toFixed(2)}x\n`);
  } finally {
    lab.down();
  }
}

await main();
