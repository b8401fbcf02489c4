import t from 'tap';
import { HealthMonitor } from '../../src/health/monitor.ts';
import type { HealthEvent, MonitoredService, DesiredEvent, QuorumEvent } from '../../src/health/monitor-types.ts';
import type { Checker, CheckResult } from '../../src/health/checker.ts';
import { CheckerState, epilog, type LoopConfig } from '../../src/health/checker-loop.ts';
import { ManualTimers } from '../../src/lib/timers.ts';

/** A checker answering from a script: a function of the call number, or a mutable verdict. */
class FakeCheck implements Checker {
  readonly kind = 'FAKE_CHECK';
  calls = 0;
  next: CheckResult = { ok: true, reason: '' };
  async check(): Promise<CheckResult> {
    this.calls++;
    return this.next;
  }
}

const FAIL: CheckResult = { ok: false, reason: 'connection refused' };
const OK: CheckResult = { ok: true, reason: '' };
const loop = (extra: Partial<LoopConfig> = {}): LoopConfig => ({
  delayLoopMs: 100,
  retry: 2,
  delayBeforeRetryMs: 50,
  alpha: false,
  retryWhileDown: false,
  warmupMs: 0,
  ...extra,
});

function record(m: HealthMonitor, timers: ManualTimers) {
  const log: string[] = [];
  m.on('transition', (e: HealthEvent) =>
    log.push(
      `${timers.now()} ${e.destKey} ${e.up ? 'UP' : 'DOWN'} w=${e.weight}${e.inhibit ? ' inhibit' : ''} (${e.reason})`,
    ),
  );
  m.on('weight', (e: HealthEvent) => log.push(`${timers.now()} ${e.destKey} WEIGHT w=${e.weight}`));
  m.on('quorum', (e: QuorumEvent) =>
    log.push(`${timers.now()} ${e.serviceKey} QUORUM ${e.up ? 'UP' : 'DOWN'} sum=${e.weightSum}`),
  );
  m.on('desired', (e: DesiredEvent) =>
    log.push(
      `${timers.now()} desired ${e.dests.map((d) => `${d.key}=${d.weight}${d.sorry ? '(sorry)' : ''}`).join(' ')}`,
    ),
  );
  return log;
}

t.test('a failing server goes DOWN after retry + 1 failures and comes back UP with one success', async (t) => {
  const timers = new ManualTimers();
  const a = new FakeCheck();
  const notified: string[] = [];
  const svc: MonitoredService = {
    key: 'TCP 10.0.0.1:80',
    quorum: 1,
    hysteresis: 0,
    servers: [
      {
        key: '10.0.0.2:80',
        addr: 0x0a000002,
        port: 80,
        weight: 3,
        inhibitOnFailure: false,
        notifyUp: ['/bin/up', 'a'],
        notifyDown: ['/bin/down', 'a'],
        checkers: [{ checker: a, loop: loop() }],
      },
    ],
  };
  const m = new HealthMonitor([svc], { timers, bootstrapDelayMs: 0, notify: (argv) => notified.push(argv.join(' ')) });
  const log = record(m, timers);
  m.start();
  await timers.advance(100); // checks at 0 and 100 pass
  a.next = FAIL;
  await timers.advance(500); // fails at 200, retries at 250, 300 -> DOWN at 300; then every 100 ms
  a.next = OK;
  await timers.advance(100);
  await m.stop();
  t.same(log, [
    '0 desired 10.0.0.2:80=3',
    '300 10.0.0.2:80 DOWN w=0 (FAKE_CHECK failed: connection refused)',
    '300 TCP 10.0.0.1:80 QUORUM DOWN sum=0',
    '300 desired ',
    '700 10.0.0.2:80 UP w=3 (FAKE_CHECK succeeded)',
    '700 TCP 10.0.0.1:80 QUORUM UP sum=3',
    '700 desired 10.0.0.2:80=3',
  ]);
  t.same(notified, ['/bin/down a', '/bin/up a']);
  t.equal(a.calls, 9, 'checks at 0 100 200 250 300 400 500 600 700');
});

t.test('inhibit_on_failure keeps the server at weight 0 and recovery restores its configured weight', async (t) => {
  const timers = new ManualTimers();
  const a = new FakeCheck();
  const m = new HealthMonitor(
    [
      {
        key: 'S',
        quorum: 1,
        hysteresis: 0,
        servers: [
          {
            key: 'a',
            addr: 1,
            port: 1,
            weight: 5,
            inhibitOnFailure: true,
            checkers: [{ checker: a, loop: loop({ retry: 0 }) }],
          },
        ],
      },
    ],
    { timers, bootstrapDelayMs: 0, notify: () => {} },
  );
  const log = record(m, timers);
  m.start();
  await timers.advance(0);
  a.next = FAIL;
  await timers.advance(100);
  a.next = OK;
  await timers.advance(100);
  await m.stop();
  t.same(log, [
    '0 desired a=5',
    '100 a DOWN w=0 inhibit (FAKE_CHECK failed: connection refused)',
    '100 S QUORUM DOWN sum=0',
    '100 desired a=0',
    '200 a UP w=5 (FAKE_CHECK succeeded)',
    '200 S QUORUM UP sum=5',
    '200 desired a=5',
  ]);
});

t.test('a MISC dynamic weight changes the weight of an alive server', async (t) => {
  const timers = new ManualTimers();
  const a = new FakeCheck();
  const m = new HealthMonitor(
    [
      {
        key: 'S',
        quorum: 1,
        hysteresis: 0,
        servers: [
          { key: 'a', addr: 1, port: 1, weight: 1, inhibitOnFailure: false, checkers: [{ checker: a, loop: loop() }] },
        ],
      },
    ],
    { timers, bootstrapDelayMs: 0, notify: () => {} },
  );
  const log = record(m, timers);
  a.next = { ok: true, reason: '', weight: 10 };
  m.start();
  await timers.advance(150);
  await m.stop();
  t.same(log, ['0 desired a=1', '0 a WEIGHT w=10', '0 desired a=10']);
  t.same(m.serverState('S', 'a'), { alive: true, weight: 10, numFailed: 0 });
});

t.test('quorum loss brings in the sorry server and runs quorum_down; regaining it reverses both', async (t) => {
  const timers = new ManualTimers();
  const a = new FakeCheck();
  const b = new FakeCheck();
  const notified: string[] = [];
  const svc: MonitoredService = {
    key: 'S',
    quorum: 2,
    hysteresis: 0,
    quorumUp: ['/bin/qup'],
    quorumDown: ['/bin/qdown'],
    sorryServer: { key: 'sorry', weight: 1, inhibit: false },
    servers: [
      {
        key: 'a',
        addr: 1,
        port: 1,
        weight: 1,
        inhibitOnFailure: false,
        checkers: [{ checker: a, loop: loop({ retry: 0 }) }],
      },
      {
        key: 'b',
        addr: 2,
        port: 1,
        weight: 1,
        inhibitOnFailure: true,
        checkers: [{ checker: b, loop: loop({ retry: 0 }) }],
      },
    ],
  };
  const m = new HealthMonitor([svc], { timers, bootstrapDelayMs: 0, notify: (argv) => notified.push(argv.join(' ')) });
  const log = record(m, timers);
  m.start();
  await timers.advance(0);
  a.next = FAIL;
  await timers.advance(100);
  a.next = OK;
  await timers.advance(100);
  await m.stop();
  t.same(log, [
    '0 desired a=1 b=1',
    '100 a DOWN w=0 (FAKE_CHECK failed: connection refused)',
    '100 S QUORUM DOWN sum=1',
    '100 desired b=0 sorry=1(sorry)',
    '200 a UP w=1 (FAKE_CHECK succeeded)',
    '200 S QUORUM UP sum=2',
    '200 desired a=1 b=1',
  ]);
  t.same(notified, ['/bin/qdown', '/bin/qup']);
});

t.test('hysteresis holds quorum until the sum falls below quorum - hysteresis', async (t) => {
  const timers = new ManualTimers();
  const c = [new FakeCheck(), new FakeCheck(), new FakeCheck()];
  const servers = c.map((checker, i) => ({
    key: `r${i}`,
    addr: i,
    port: 1,
    weight: 1,
    inhibitOnFailure: false,
    checkers: [{ checker, loop: loop({ retry: 0 }) }],
  }));
  const m = new HealthMonitor(
    [{ key: 'S', quorum: 2, hysteresis: 1, sorryServer: { key: 'sorry', weight: 1, inhibit: false }, servers }],
    { timers, bootstrapDelayMs: 0, notify: () => {} },
  );
  const quorum: string[] = [];
  m.on('quorum', (e: QuorumEvent) => quorum.push(`${timers.now()} ${e.up ? 'UP' : 'DOWN'} ${e.weightSum}`));
  m.start(); // sum 3 >= 2 + 1: up
  await timers.advance(0);
  (c[0] as FakeCheck).next = FAIL;
  await timers.advance(100); // sum 2: still up
  (c[1] as FakeCheck).next = FAIL;
  await timers.advance(100); // sum 1 = quorum - hysteresis: still up (loss needs < 1)
  (c[2] as FakeCheck).next = FAIL;
  await timers.advance(100); // sum 0: down
  (c[0] as FakeCheck).next = OK;
  (c[1] as FakeCheck).next = OK;
  await timers.advance(100); // sum 2 < 3: still down
  (c[2] as FakeCheck).next = OK;
  await timers.advance(100); // sum 3: up
  await m.stop();
  t.same(quorum, ['300 DOWN 0', '500 UP 3']);
});

t.test('an alpha server stays out until its first success', async (t) => {
  const timers = new ManualTimers();
  const a = new FakeCheck();
  const notified: string[] = [];
  const m = new HealthMonitor(
    [
      {
        key: 'S',
        quorum: 1,
        hysteresis: 0,
        servers: [
          {
            key: 'a',
            addr: 1,
            port: 1,
            weight: 2,
            inhibitOnFailure: false,
            notifyUp: ['/bin/up'],
            checkers: [{ checker: a, loop: loop({ alpha: true }) }],
          },
        ],
      },
    ],
    { timers, bootstrapDelayMs: 1000, notify: (argv) => notified.push(argv.join(' ')) },
  );
  const log = record(m, timers);
  m.start();
  t.same(m.desired('S')?.dests, []);
  await timers.advance(1000);
  await m.stop();
  t.same(log, ['0 desired ', '1000 a UP w=2 (FAKE_CHECK succeeded)', '1000 S QUORUM UP sum=2', '1000 desired a=2']);
  t.same(notified, ['/bin/up']);
});

t.test('warmup spreads first checks with the injected random', async (t) => {
  const timers = new ManualTimers();
  const a = new FakeCheck();
  const m = new HealthMonitor(
    [
      {
        key: 'S',
        quorum: 1,
        hysteresis: 0,
        servers: [
          {
            key: 'a',
            addr: 1,
            port: 1,
            weight: 1,
            inhibitOnFailure: false,
            checkers: [{ checker: a, loop: loop({ warmupMs: 400 }) }],
          },
        ],
      },
    ],
    { timers, bootstrapDelayMs: 1000, random: () => 0.5, notify: () => {} },
  );
  m.start();
  await timers.advance(1199);
  t.equal(a.calls, 0);
  await timers.advance(1);
  t.equal(a.calls, 1, 'first check at BOOTSTRAP_DELAY + 0.5 * warmup');
  await m.stop();
  t.equal(timers.pending(), 0, 'stop() disarms every timer');
});

// --- checker-loop.ts: the epilog retry rules ---
const base: LoopConfig = {
  delayLoopMs: 6000,
  retry: 2,
  delayBeforeRetryMs: 1000,
  alpha: false,
  retryWhileDown: false,
  warmupMs: 0,
};

/** Feed results; return [delay, report] per step, setting hasRun as the monitor does. */
function run(cfg: LoopConfig, results: boolean[]): Array<[number, string]> {
  const st = new CheckerState(cfg.alpha);
  return results.map((ok) => {
    const out = epilog(st, cfg, ok);
    if (out.report === 'up') st.isUp = true;
    if (out.report === 'down') st.isUp = false;
    st.hasRun = true;
    return [out.delayMs, out.report ?? '-'];
  });
}

t.test(
  'an up checker reports DOWN only after retry + 1 straight failures, retrying after delay_before_retry',
  async (t) => {
    t.same(run(base, [true, false, false, false, false]), [
      [6000, 'up'], // first run always reports (update_svr_checker_state then finds nothing changed)
      [1000, '-'],
      [1000, '-'],
      [6000, 'down'],
      [6000, '-'], // udp_epilog: a down checker is not retried
    ]);
  },
);

t.test('one success brings a down checker back up and resets the retry count', async (t) => {
  t.same(run(base, [false, false, false, true, false, true]), [
    [1000, '-'],
    [1000, '-'],
    [6000, 'down'],
    [6000, 'up'],
    [1000, '-'],
    [6000, '-'],
  ]);
});

t.test('tcp_epilog retries even while down', async (t) => {
  const tcp = { ...base, retry: 1, retryWhileDown: true };
  t.same(run(tcp, [false, false, false, false]), [
    [1000, '-'],
    [6000, 'down'],
    [1000, '-'],
    [6000, '-'],
  ]);
});

t.test('an alpha checker starts down and reports UP on its first success', async (t) => {
  const alpha = { ...base, alpha: true };
  t.same(run(alpha, [true]), [[6000, 'up']]);
  t.same(run({ ...alpha, retry: 0 }, [false, true]), [
    [6000, 'down'], // first failure is reported (has_run false): update_svr_checker_state only notifies
    [6000, 'up'],
  ]);
});

t.test('retry 0 makes the first failure final', async (t) => {
  t.same(run({ ...base, retry: 0 }, [false]), [[6000, 'down']]);
});
