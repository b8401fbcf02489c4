// ecmp-demo: `npm run lab -- ecmp [N]` and `npm run lab -- ecmp add`, the ECMP lab
// (ecmp-topology.ts) as a guided run: N DR directors announce the VIP with BGP, the router's ECMP
// route, the split of new flows per director, then one director killed under load and what it
// cost (ecmp-experiment.ts). `ecmp add` starts a stopped director again, or adds one.

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { birdUnavailable } from './bird.ts';
import { DrTopology } from './dr-topology.ts';
import { LabDaemon, ROOT, say, shown } from './lab-daemon.ts';
import { EcmpTopology } from './ecmp-topology.ts';
import { RESILIENT_TABLE } from './resilient-watcher.ts';
import type { Director, DirectorPolicy } from './ecmp-director.ts';
import { killUnderLoad, routeMatches, serviceConns, until } from './ecmp-experiment.ts';
import { drive } from './traffic.ts';
import { VIP } from './topology.ts';

/** BIRD 2 is installed on first use, for this lab only (ensure-setup's `ecmp` mode). */
export function ensureBird(): string | null {
  if (birdUnavailable() === null) return null;
  spawnSync(process.execPath, [join(ROOT, 'src', 'bin', 'ensure-setup.mjs'), 'ecmp'], {
    stdio: ['ignore', 'inherit', 'inherit'],
    timeout: 600_000,
  });
  const why = birdUnavailable();
  return why === null ? null : `${why}, and installing it failed`;
}

/** Start tsvsd (and its announcer) on each director, then wait for the router's route. */
export async function startDirectors(lab: EcmpTopology, dirs: readonly Director[]): Promise<void> {
  await Promise.all(dirs.map((d) => d.startTsvsd()));
  const running = lab.directors.filter((d) => d.daemon.pid() !== null);
  if (!(await until(() => routeMatches(lab, running), 30_000, 100)))
    throw new Error(`the router's route to ${VIP} did not reach ${running.length} next hops:\n${lab.routeText()}`);
}

/** n new connections from the client: how many each director took (-Ln --stats Conns deltas). */
export async function splitPerDirector(lab: EcmpTopology, n: number): Promise<string> {
  const live = lab.directors.filter((d) => d.daemon.pid() !== null);
  const before = await Promise.all(live.map(serviceConns));
  const perServer = drive(lab.client, n);
  const after = await Promise.all(live.map(serviceConns));
  const parts = live.map((d, i) => `lvs${d.k} ${after[i]! - before[i]!}`);
  const servers = [...perServer].map(([k, v]) => `${k} ${v}`).join(', ');
  return `${parts.join(', ')}   (real servers: ${servers})`;
}

export async function ecmpDemo(prefix: string, n: number, policy: DirectorPolicy, resilient = false): Promise<void> {
  const why = ensureBird();
  if (why !== null) throw new Error(why);
  const lab = new EcmpTopology(prefix);
  const old = new DrTopology(prefix);
  if (old.anyLeft() || lab.anyLeft()) {
    say('A lab with these names exists: tearing it down first.');
    new LabDaemon(old).stop();
    lab.down();
    old.down();
  }
  const abort = (): void => {
    lab.down();
    process.exit(130);
  };
  process.once('SIGINT', abort);
  process.once('SIGTERM', abort);
  try {
    await run(lab, n, policy, resilient);
  } catch (e) {
    lab.down();
    throw e;
  } finally {
    process.off('SIGINT', abort);
    process.off('SIGTERM', abort);
  }
}

async function run(lab: EcmpTopology, n: number, policy: DirectorPolicy, resilient: boolean): Promise<void> {
  say(`== tsvs: ${n} directors behind ECMP, announced with BGP (BIRD 2), agreeing through Maglev ==\n`);
  lab.up({ directors: n, policy, resilient });
  say(`Namespaces: ${lab.client}, ${lab.router}, ${lab.directors.map((d) => d.lvs).join(', ')}, web1, web2, sw99.`);
  await startDirectors(lab, lab.directors);
  say(
    `Each director: tsvsd (${policy.forward === 'fullnat' ? 'full NAT' : 'DR'}, ${policy.sched}, sloppy-tcp ${policy.sloppyTcp}), BIRD announcing the VIP, tsvsadm --announce.`,
  );
  shown(lab.router, 'birdc show protocols', lab.routerBird.birdc('show protocols').out);
  if (resilient) {
    say(`The router's BIRD writes its route to table ${RESILIENT_TABLE}; lab/resilient-nexthops.ts makes it a group:`);
    shown(lab.router, `ip route show ${VIP} table ${RESILIENT_TABLE}`, lab.routerRoute(RESILIENT_TABLE));
    shown(lab.router, 'ip nexthop show (the group)', lab.nexthopGroup());
  }
  shown(lab.router, `ip route show ${VIP}`, lab.routeText());
  say(`net.ipv4.fib_multipath_hash_policy=1 in the router: the next hop is a hash of addresses and ports.`);

  say('\n300 new connections from the client (curl, one connection each), per director:');
  say(`  ${await splitPerDirector(lab, 300)}`);

  const victim = lab.directors[Math.min(1, lab.directors.length - 1)]!;
  say(`\nLoad for 10 s: 60 long-lived keep-alive connections (a request every 100 ms each) and 4 loops of`);
  say(`new connections (1 s timeout each). After 3 s: kill -9 tsvsd on ${victim.lvs}.`);
  const r = await killUnderLoad(lab, victim, { durationMs: 10_000, killAfterMs: 3000, long: 60, workers: 4 });
  say(
    `  route withdrawn after     ${r.withdrawnMs ?? 'never'} ms (the announcer saw tsvsd die after ${r.detectMs ?? '?'} ms)`,
  );
  say(`  new requests              ${r.newOk + r.newFailed}, failed ${r.newFailed} (within ${r.failWindowMs} ms)`);
  say(`  long-lived connections    ${r.longTotal}, broken ${r.broken.length}`);
  say(`    through ${victim.lvs}        ${r.longThroughVictim}, broken ${r.brokenThroughVictim}`);
  for (const b of r.broken.slice(0, 5)) say(`    broken: client port ${b.port} (${b.server}): ${b.why}`);
  say(
    `  flows adopted             ${Object.entries(r.adoptedBy)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
  shown(lab.router, `ip route show ${VIP}`, lab.routeText());
  say('\n300 new connections after the failure, per director:');
  say(`  ${await splitPerDirector(lab, 300)}`);
  say(`
The lab stays up. Try:
  npm run lab -- ecmp add                     start ${victim.lvs}'s tsvsd again (or add a director)
  npm run lab -- shell router birdc -s ${lab.routerBird.ctl} show route all
  npm run lab -- shell router ip route show ${VIP}
  TSVS_SOCKET=${lab.directors[0]!.daemon.socket} npx tsvsadm -Lnc
  npm run lab -- down                         remove everything
Read lab/README.md ("ECMP") for what happened and why.`);
}

/** `ecmp add`: restart the directors whose tsvsd is not running, or add one more director. */
export async function ecmpAdd(prefix: string): Promise<void> {
  const lab = new EcmpTopology(prefix);
  if (!lab.isUp()) throw new Error('the ECMP lab is not running: start it with `npm run lab -- ecmp`');
  let dirs = lab.directors.filter((d) => d.daemon.pid() === null);
  if (dirs.length === 0) {
    const d = lab.addDirector();
    say(`Added ${d.lvs} (${d.addr}); the router's BIRD was reconfigured with a session to it.`);
    dirs = [d];
  }
  const t0 = Date.now();
  await startDirectors(lab, dirs);
  say(`Started tsvsd on ${dirs.map((d) => d.lvs).join(', ')}; announced and installed in ${Date.now() - t0} ms.`);
  shown(lab.router, `ip route show ${VIP}`, lab.routeText());
  say('300 new connections, per director:');
  say(`  ${await splitPerDirector(lab, 300)}`);
}
