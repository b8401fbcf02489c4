// The shipped scenarios load, say what they teach, name real schedulers and run; bad scenario
// files are refused with messages that say where.
import t from 'tap';
import { readdirSync } from 'node:fs';
import { SCENARIO_DIR, loadScenario, parseScenario } from '../../bench/sim/scenario.ts';
import { findScheduler } from '../../src/sched/registry.ts';
import { simulate } from '../../bench/sim/simulate.ts';

const files = readdirSync(SCENARIO_DIR).filter((f) => f.endsWith('.json'));

t.test('the scenarios the issue asks for are shipped', async (t) => {
  for (const name of ['equal', 'weights-1-2', 'one-slow', 'server-fails', 'servers-10000', 'flash-crowd']) {
    t.ok(files.includes(`${name}.json`), name);
  }
});

t.test('every scenario file loads, teaches something, and its schedulers exist', async (t) => {
  for (const f of files) {
    const sc = loadScenario(f.replace(/\.json$/, ''));
    t.equal(`${sc.name}.json`, f, 'named after its file');
    t.ok(sc.teaches.length > 80, `${sc.name} says what it teaches`);
    t.same(
      sc.schedulers.filter((s) => findScheduler(s) === undefined),
      [],
      `${sc.name}: schedulers registered`,
    );
  }
});

t.test('every scenario runs a couple of simulated seconds with its first scheduler', async (t) => {
  for (const f of files) {
    const sc = loadScenario(f.replace(/\.json$/, ''));
    const run = simulate(sc, sc.schedulers[0]!, { durationSec: sc.servers.length > 1000 ? 0.5 : 2 });
    t.ok(
      run.rec.arrivals > 0 && run.rec.completed > 0,
      `${sc.name}: ${run.rec.arrivals} requests, ${run.rec.completed} done`,
    );
  }
});

t.test('a bad scenario is refused with the field that is wrong', async (t) => {
  const base = {
    name: 'x',
    teaches: 'y',
    durationSec: 1,
    servers: [{ name: 'a' }],
    arrivals: { kind: 'poisson', ratePerSec: 1 },
    demand: { kind: 'exp', meanMs: 1 },
  };
  const bad = (over: Record<string, unknown>, message: string): void => {
    t.throws(() => parseScenario({ ...base, ...over }, '/tmp'), { code: 'EINVAL', message }, message);
  };
  bad({ teaches: undefined }, 'scenario: teaches is missing');
  bad({ servers: [] }, 'scenario: servers: must be a non-empty array');
  bad({ servers: [{ name: 'a' }, { name: 'a' }] }, 'scenario: servers[1]: duplicate server name a');
  bad({ arrivals: { kind: 'uniform' } }, 'scenario: arrivals: kind must be one of poisson, onoff, trace');
  bad({ demand: { kind: 'pareto', meanMs: 5, alpha: 1 } }, 'scenario: demand: alpha must be >= 1.0001');
  bad({ events: [{ atSec: 1, action: 'fail', server: 'b' }] }, 'scenario: events[0]: no server named b');
  bad(
    { service: { schedFlags: ['sh-sticky'] } },
    'scenario: service.schedFlags[0]: must be one of sh-fallback, sh-port, mh-fallback, mh-port',
  );
  bad({ serverModel: { kind: 'fifo', slots: 0 } }, 'scenario: serverModel: slots must be >= 1');
  t.throws(() => loadScenario('no-such-scenario'), {
    code: 'ENOENT',
    message: 'no scenario no-such-scenario (neither a file nor bench/scenarios/no-such-scenario.json)',
  });
});
