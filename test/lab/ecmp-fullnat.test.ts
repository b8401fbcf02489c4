// Full NAT through ECMP (lab/ecmp-topology.ts with forward fullnat): three directors, each with its
// own full NAT address, behind a router whose route is a resilient next-hop group built from the
// BGP-learned next hops (lab/resilient-nexthops.ts). A full NAT connection lives on one director
// (the real server's peer is that director's local address and port), so when one director dies
// its connections break; with a resilient group every other connection keeps its director and
// survives. With the kernel's default hash-threshold multipath, killing the last next hop of three
// re-cuts the hash space into halves and moves a sixth of the flows between the survivors too:
// those break as well. Both are run and counted.
import t, { type Test } from 'tap';
import { listNetns, netnsUnavailable, uniqueSuffix } from '../../lab/netns.ts';
import { EcmpTopology } from '../../lab/ecmp-topology.ts';
import { RESILIENT_TABLE } from '../../lab/resilient-watcher.ts';
import { ensureBird, startDirectors } from '../../lab/ecmp-demo.ts';
import { killUnderLoad, type KillResult } from '../../lab/ecmp-experiment.ts';
import { VIP } from '../../lab/topology.ts';

// A connection counts as broken when a request gets no answer within 5 s (lab/ecmp-load.ts) before
// the load ends: flows moved by the withdrawal stall ~0.5 s after the kill, so the load runs
// well over 5.5 s after it.
const LOAD = { durationMs: 15_000, killAfterMs: 2500, long: 60, workers: 2 };

async function killLast(t: Test, resilient: boolean): Promise<KillResult> {
  const lab = new EcmpTopology(`tf${uniqueSuffix()}`);
  try {
    lab.up({ directors: 3, resilient, policy: { sched: 'mh', sloppyTcp: 'off', forward: 'fullnat' } });
    await startDirectors(lab, lab.directors);
    const route = lab.routeText();
    t.comment(route);
    if (resilient) {
      t.match(route, new RegExp(`^${VIP.replace(/\./g, '\\.')} nhid \\d+`), 'the main route uses a nexthop group');
      const birdRoute = lab.routerRoute(RESILIENT_TABLE);
      t.match(birdRoute, /proto bird/, `BIRD's multipath route is in table ${RESILIENT_TABLE}`);
      t.match(lab.nexthopGroup(), /type resilient buckets 128/, 'the group is resilient');
    } else t.notMatch(route, /nhid/, 'a plain multipath route');
    // The last next hop of the route: with hash-threshold its removal re-cuts every region.
    const lastHop = lab.nextHops().at(-1);
    const victim = lab.directors.find((d) => d.addr === lastHop)!;
    t.ok(victim, `the victim is the route's last next hop ${lastHop}`);
    const r = await killUnderLoad(lab, victim, LOAD);
    t.comment(JSON.stringify({ ...r, broken: r.broken.length }));
    t.not(r.withdrawnMs, null, "the dead director's next hop left the router's route");
    t.equal(lab.nextHops().length, 2, 'two next hops left');
    t.ok(r.longThroughVictim > 0, `${r.longThroughVictim} long-lived connections went through the killed director`);
    t.equal(
      r.brokenThroughVictim,
      r.longThroughVictim,
      "every full NAT connection through the dead director broke: no other director has its local address's entry",
    );
    return r;
  } finally {
    lab.down();
    t.same(
      listNetns().filter((n) => n.startsWith(`${lab.prefix}-`)),
      [],
      'every namespace removed',
    );
  }
}

const why = netnsUnavailable();
if (why !== null) {
  t.plan(0, `skipped: ${why}`);
} else {
  t.test('full NAT, resilient next-hop group: no connection through a surviving director breaks', async (t) => {
    const birdMissing = ensureBird();
    if (birdMissing !== null) return void t.fail(birdMissing);
    const r = await killLast(t, true);
    const survivors = r.longTotal - r.longThroughVictim;
    t.equal(r.broken.length - r.brokenThroughVictim, 0, `0 of ${survivors} connections through the survivors broke`);
  });

  t.test('full NAT, hash-threshold multipath: connections through surviving directors break too', async (t) => {
    const birdMissing = ensureBird();
    if (birdMissing !== null) return void t.fail(birdMissing);
    const r = await killLast(t, false);
    const moved = r.broken.length - r.brokenThroughVictim;
    t.ok(moved > 0, `${moved} of ${r.longTotal - r.longThroughVictim} connections through the survivors broke`);
  });
}
