// Failures, health checks and disruption: what the simulator reports when a server dies, is
// taken out by the health checker through the ServiceTable, and comes back.
import t from 'tap';
import { simulate } from '../../bench/sim/simulate.ts';
import { mini } from './helpers.ts';

function failing(sched: string, onFailure = 'remove') {
  const sc = mini({
    durationSec: 60,
    bins: 60,
    seed: 5,
    servers: ['web1', 'web2', 'web3', 'web4', 'web5'].map((name) => ({ name })),
    arrivals: { kind: 'poisson', ratePerSec: 200 },
    clients: { count: 3000, zipf: 0.5 },
    healthCheck: { delaySec: 3, onFailure },
    clientTimeoutSec: 5,
    events: [
      { atSec: 20, action: 'fail', server: 'web3' },
      { atSec: 40, action: 'recover', server: 'web3' },
    ],
  });
  return simulate(sc, sched);
}

t.test(
  'rr keeps sending a dead server its turn until the health check removes it, then none until it is back',
  async (t) => {
    const run = failing('rr');
    t.same(
      run.rec.events.map((e) => [e.tMs, e.kind, e.label]),
      [
        [20000, 'fail', 'web3 fails'],
        [23000, 'health-down', 'health check: -d web3'],
        [40000, 'recover', 'web3 is back'],
        [43000, 'health-up', 'health check: -a web3'],
      ],
    );
    const lost = run.rec.events[1]!.lostBeforeDetection;
    t.ok(lost > 80 && lost < 160, `about a fifth of 3 s x 200/s went to the dead server (${lost})`);
    t.equal(run.rec.lostToDead, lost);
    let after = 0;
    for (let b = 24; b < 43; b++) after += run.rec.binPicks[b * 5 + 2]!;
    t.equal(after, 0, 'no pick of web3 between the health check and its return');
  },
);

t.test('lc sends a dead server few connections: the unanswered ones stay SYN_RECV and count as active', async (t) => {
  const rr = failing('rr').rec.lostToDead;
  const lc = failing('lc').rec.lostToDead;
  t.ok(lc < rr / 4, `lc lost ${lc}, rr ${rr}`);
});

t.test('removing one server of five must move a fifth of the clients: mh moves about that, sh many more', async (t) => {
  const mh = failing('mh').rec.events[1]!.disruption!;
  const sh = failing('sh').rec.events[1]!.disruption!;
  t.ok(
    Math.abs(mh.mustMove - 0.2) < 0.03,
    `about a fifth of the clients were on web3 under mh (${mh.mustMove.toFixed(3)})`,
  );
  t.ok(Math.abs(sh.mustMove - 0.2) < 0.03, `and under sh (${sh.mustMove.toFixed(3)})`);
  t.ok(mh.clients >= mh.mustMove && mh.clients < mh.mustMove + 0.05, `mh moved ${mh.clients.toFixed(3)}`);
  t.ok(sh.clients > 2 * sh.mustMove, `sh moved ${sh.clients.toFixed(3)}`);
  t.equal(failing('rr').rec.events[1]!.disruption, null, 'rr keeps no client mapping to probe');
});

t.test(
  'with the health checker quiescing (weight 0) instead of removing, the dead server is skipped the same way',
  async (t) => {
    const run = failing('wrr', 'quiesce');
    t.same(
      run.rec.events.map((e) => e.label),
      ['web3 fails', 'health check: -e web3 -w 0', 'web3 is back', 'health check: -e web3 -w 1'],
    );
    let after = 0;
    for (let b = 24; b < 43; b++) after += run.rec.binPicks[b * 5 + 2]!;
    t.equal(after, 0);
  },
);
