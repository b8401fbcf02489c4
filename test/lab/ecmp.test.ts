// N directors behind ECMP through real kernel stacks and real BGP daemons (lab/ecmp-topology.ts):
// two LVS-DR directors running tsvsd (mh, sloppy-tcp consistent) announce the VIP with BIRD 2
// to a router namespace, whose kernel route gets one next hop per director. New flows spread
// over both; when one director's tsvsd is killed, its VIP announcer withdraws the route, and the
// long-lived connections that went through it continue through the other director, which adopts
// them and picks the same real server (Maglev). A director whose real servers are all gone
// withdraws too, and announces again when one is back.
import t from 'tap';
import { listNetns, netnsUnavailable, uniqueSuffix } from '../../lab/netns.ts';
import { RIP1, RIP2, VIP } from '../../lab/topology.ts';
import { drive } from '../../lab/traffic.ts';
import { EcmpTopology } from '../../lab/ecmp-topology.ts';
import { ensureBird, startDirectors } from '../../lab/ecmp-demo.ts';
import { killUnderLoad, serviceConns } from '../../lab/ecmp-experiment.ts';
import { waitFor } from '../helpers/wait-for.ts';

const why = netnsUnavailable();
if (why !== null) {
  t.plan(0, `skipped: ${why}`);
} else {
  t.test(
    'two directors behind ECMP: BGP route, spread, a killed director loses no long-lived DR+mh flow',
    async (t) => {
      const birdMissing = ensureBird();
      if (birdMissing !== null) {
        t.fail(birdMissing);
        return;
      }
      const lab = new EcmpTopology(`te${uniqueSuffix()}`);
      const t0 = Date.now();
      const phase = (what: string): void => t.comment(`${what} at ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      try {
        lab.up({ directors: 2 });
        phase('namespaces, web servers and BIRD up');
        await startDirectors(lab, lab.directors);
        phase('tsvsd running on both directors, route installed');
        const [lvs1, lvs2] = lab.directors as [(typeof lab.directors)[0], (typeof lab.directors)[0]];
        t.same(lab.nextHops().sort(), [lvs1.addr, lvs2.addr], 'the router has one ECMP route with both next hops');

        const before = await Promise.all(lab.directors.map(serviceConns));
        const servers = drive(lab.client, 30);
        t.equal(servers.get('FAILED') ?? 0, 0, '30 new connections all answered');
        t.ok(
          (servers.get('web1') ?? 0) > 0 && (servers.get('web2') ?? 0) > 0,
          'mh-port spreads them over both real servers',
        );
        const after = await Promise.all(lab.directors.map(serviceConns));
        lab.directors.forEach((d, i) => t.ok(after[i]! - before[i]! > 0, `${d.lvs} took some of them`));

        phase('spread checked');
        const r = await killUnderLoad(lab, lvs1, { durationMs: 8000, killAfterMs: 2500, long: 30, workers: 2 });
        t.comment(JSON.stringify({ ...r, broken: r.broken.length }));
        t.not(r.withdrawnMs, null, "the dead director's next hop left the router's route");
        t.same(lab.nextHops(), [lvs2.addr]);
        t.ok(r.longThroughVictim > 0, `${r.longThroughVictim} long-lived connections went through the killed director`);
        t.same(r.broken, [], 'no long-lived connection broke, those through the killed director included');
        t.ok((r.adoptedBy[lvs2.lvs] ?? 0) >= r.longThroughVictim, 'the survivor adopted the flows of the dead one');
        t.ok(r.newOk > 0, `${r.newOk} new requests during the run (${r.newFailed} failed)`);
        const later = drive(lab.client, 20);
        t.equal(later.get('FAILED') ?? 0, 0, 'new requests succeed afterwards');

        phase('director killed under load');
        // No real server left: the survivor withdraws too; one back: it announces again.
        lvs2.daemon.tsvsadm(['-d', '-t', `${VIP}:80`, '-r', `${RIP1}:80`]);
        lvs2.daemon.tsvsadm(['-d', '-t', `${VIP}:80`, '-r', `${RIP2}:80`]);
        await waitFor('the route withdrawn without real servers', () => lab.nextHops().length === 0, {
          timeoutMs: 15_000,
        });
        lvs2.daemon.tsvsadm(['-a', '-t', `${VIP}:80`, '-r', `${RIP1}:80`, '-g']);
        await waitFor('the route announced again', () => lab.nextHops().includes(lvs2.addr), { timeoutMs: 15_000 });
        t.pass('no real server: withdrawn; a real server back: announced again');
        phase('health withdrawal checked');
      } finally {
        lab.down();
        t.same(
          listNetns().filter((n) => n.startsWith(`${lab.prefix}-`)),
          [],
          'every namespace removed',
        );
      }
    },
  );
}
