import t from 'tap';
import { computeDesired, nextQuorum, realWeight, type PolicyServer } from '../../src/health/policy.ts';

const srv = (key: string, alive: boolean, weight: number, inhibitOnFailure = false): PolicyServer => ({
  key,
  alive,
  weight,
  inhibitOnFailure,
});

t.test('a dead server is removed, or kept at weight 0 with inhibit_on_failure', async (t) => {
  const out = computeDesired(
    { servers: [srv('a', true, 3), srv('b', false, 2), srv('c', false, 5, true)], quorum: 1, hysteresis: 0 },
    true,
  );
  t.same(out.dests, [
    { key: 'a', weight: 3, sorry: false },
    { key: 'c', weight: 0, sorry: false },
  ]);
  t.equal(out.weightSum, 3);
  t.equal(out.quorumUp, true);
  t.equal(out.quorumChange, null);
});

t.test('quorum is gained at quorum + hysteresis and lost below quorum - hysteresis', async (t) => {
  // quorum 5, hysteresis 2: up at >= 7, down at < 3 (or 0).
  t.same(nextQuorum(6, 5, 2, false, false), { up: false, change: null });
  t.same(nextQuorum(7, 5, 2, false, false), { up: true, change: 'up' });
  t.same(nextQuorum(3, 5, 2, true, false), { up: true, change: null });
  t.same(nextQuorum(2, 5, 2, true, false), { up: false, change: 'down' });
  t.same(nextQuorum(0, 0, 0, true, false), { up: false, change: 'down' }, 'a weight sum of 0 always loses quorum');
  t.same(nextQuorum(6, 5, 2, undefined, false), { up: false, change: null }, 'start-up needs quorum + hysteresis');
  t.same(
    nextQuorum(6, 5, 2, undefined, true),
    { up: false, change: 'down' },
    'start-up with a sorry server reports quorum down',
  );
});

t.test('losing quorum swaps every real server for the sorry server, and gaining it swaps back', async (t) => {
  const sorryServer = { key: 's', weight: 1, inhibit: false };
  const down = computeDesired(
    {
      servers: [srv('a', true, 1), srv('b', false, 1), srv('c', true, 1, true)],
      quorum: 3,
      hysteresis: 0,
      sorryServer,
    },
    true,
  );
  t.equal(down.quorumChange, 'down');
  t.same(down.dests, [
    { key: 'c', weight: 0, sorry: false },
    { key: 's', weight: 1, sorry: true },
  ]);
  const up = computeDesired(
    { servers: [srv('a', true, 1), srv('b', true, 1), srv('c', true, 1, true)], quorum: 3, hysteresis: 0, sorryServer },
    false,
  );
  t.equal(up.quorumChange, 'up');
  t.same(
    up.dests.map((d) => `${d.key}=${d.weight}`),
    ['a=1', 'b=1', 'c=1'],
  );
});

t.test('sorry_server_inhibit keeps the sorry server at weight 0 while quorum is up', async (t) => {
  const out = computeDesired(
    { servers: [srv('a', true, 2)], quorum: 1, hysteresis: 0, sorryServer: { key: 's', weight: 1, inhibit: true } },
    true,
  );
  t.same(out.dests, [
    { key: 'a', weight: 2, sorry: false },
    { key: 's', weight: 0, sorry: true },
  ]);
});

t.test('weights are clamped to what IPVS accepts', async (t) => {
  t.equal(realWeight(-3), 0);
  t.equal(realWeight(70000), 65535);
  t.equal(realWeight(253), 253);
});
