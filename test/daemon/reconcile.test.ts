// Reload as a diff: the config's [rules] are reconciled with the running table (adds, edits,
// removals of what the previous config declared), unchanged services and real servers keep their
// objects and counters, runtime additions stay, and a bad config changes nothing.
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, startDaemon, tempDir } from '../cli/fixtures/harness.ts';
import { parseRulesText } from '../../src/daemon/load-rules.ts';
import { desiredFromRules, planReconcile } from '../../src/daemon/reconcile.ts';
import { ServiceTable } from '../../src/model/service-table.ts';
import { findScheduler } from '../../src/sched/registry.ts';
import { DEFAULT_TIMEOUTS } from '../../src/model/data-plane.ts';

async function desired(text: string) {
  return desiredFromRules(await parseRulesText(text), findScheduler);
}

t.test('the plan adds, edits and removes only what differs, removals first', async (t) => {
  const table = new ServiceTable({ findScheduler });
  const old = await desired(
    '-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.1.0.1:80 -m -w 1\n-a -t 10.0.0.1:80 -r 10.1.0.2:80 -m -w 1\n' +
      '-A -t 10.0.0.2:80 -s wlc\n',
  );
  for (const r of old.services) {
    table.addService(r.service);
    for (const d of r.dests) table.addDest(r.service, d);
  }
  const want = await desired(
    '-A -t 10.0.0.1:80 -s wrr -p 60\n-a -t 10.0.0.1:80 -r 10.1.0.1:80 -m -w 1\n' +
      '-a -t 10.0.0.1:80 -r 10.1.0.3:80 -m -w 5\n-A -u 10.0.0.3:53 -s rr\n--set 0 0 60\n',
  );
  const steps = planReconcile(table, DEFAULT_TIMEOUTS, old, want);
  t.same(
    steps.map((s) => s.kind),
    ['del-dest', 'del-service', 'edit-service', 'add-dest', 'add-service', 'timeouts'],
  );
  t.same(planReconcile(table, DEFAULT_TIMEOUTS, old, old), [], 'nothing differs: no step');
  t.same(
    planReconcile(table, DEFAULT_TIMEOUTS, null, await desired('-A -t 10.0.0.1:80 -s rr\n')).map((s) => s.kind),
    [],
    'without the previous config nothing is removed',
  );
});

t.test('a real server line without its service in the config is refused with its line', async (t) => {
  await t.rejects(desired('-A -t 10.0.0.1:80\n-a -t 10.0.0.9:80 -r 10.1.0.1:80\n'), {
    line: 2,
    message: 'Service not defined',
  });
});

t.test('reload makes the config rules run; unchanged ones keep objects and counters', async (t) => {
  const dir = tempDir(t);
  const conf = join(dir, 'tsvsd.conf');
  writeFileSync(
    conf,
    '[rules]\n-A -t 192.168.88.5:80 -s rr\n-a -t 192.168.88.5:80 -r 192.168.99.1:80 -m -w 1\n' +
      '-a -t 192.168.88.5:80 -r 192.168.99.2:80 -m -w 1\n-A -t 192.168.88.5:81 -s rr\n' +
      '-a -t 192.168.88.5:81 -r 192.168.99.1:81 -m -w 1\n',
  );
  const { daemon, socket, logs } = await startDaemon(t, { configPath: conf }, dir);
  await cli(socket, ['-A', '-t', '192.168.88.5:443', '-s', 'wlc']);
  await cli(socket, ['-a', '-t', '192.168.88.5:80', '-r', '192.168.99.7:80', '-m']);
  const svc80 = daemon.table.find({ af: 2, protocol: 6, addr: 0xc0a85805, port: 80, fwmark: 0 })!;
  const d1 = svc80.dests.find((d) => d.addr === 0xc0a86301)!;
  d1.conns = 17;
  svc80.conns = 42;

  writeFileSync(
    conf,
    '[rules]\n-A -t 192.168.88.5:80 -s rr\n-a -t 192.168.88.5:80 -r 192.168.99.1:80 -m -w 1\n' +
      '-a -t 192.168.88.5:80 -r 192.168.99.3:80 -m -w 4\n-A -t 192.168.88.5:82 -s sh -b sh-port\n',
  );
  t.same(await daemon.reloadOrThrow(), {
    config: conf,
    changes: { realServersRemoved: 1, servicesRemoved: 1, realServersAdded: 1, servicesAdded: 1 },
  });
  t.equal(daemon.table.find(svc80), svc80, 'the unchanged service is the same object');
  t.equal(
    svc80.dests.find((d) => d.addr === 0xc0a86301),
    d1,
    'the unchanged real server is the same object',
  );
  t.equal(d1.conns, 17);
  t.equal(svc80.conns, 42);
  t.equal(
    (await cli(socket, ['-S', '-n'])).stdout,
    '-A -t 192.168.88.5:80 -s rr\n' +
      '-a -t 192.168.88.5:80 -r 192.168.99.1:80 -m -w 1\n' +
      '-a -t 192.168.88.5:80 -r 192.168.99.3:80 -m -w 4\n' +
      '-a -t 192.168.88.5:80 -r 192.168.99.7:80 -m -w 1\n' +
      '-A -t 192.168.88.5:82 -s sh -b sh-port\n' +
      '-A -t 192.168.88.5:443 -s wlc\n',
    'runtime additions (:443, 99.7) stay; 99.2 and :81 left the config and the table',
  );

  writeFileSync(
    conf,
    '[rules]\n-A -t 192.168.88.5:80 -s wrr -p 120\n-a -t 192.168.88.5:80 -r 192.168.99.1:80 -m -w 9\n' +
      '-a -t 192.168.88.5:80 -r 192.168.99.3:80 -g -w 4\n-A -t 192.168.88.5:82 -s sh -b sh-port\n',
  );
  t.same(await daemon.reloadOrThrow(), { config: conf, changes: { servicesEdited: 1, realServersEdited: 2 } });
  t.equal(daemon.table.find(svc80), svc80, 'an edited service is edited in place');
  t.equal(
    svc80.dests.find((d) => d.addr === 0xc0a86301),
    d1,
  );
  t.equal(d1.conns, 17, 'an edited real server keeps its counters');
  t.equal(svc80.schedName, 'wrr');
  t.match(logs.join(''), /level=info msg="config reloaded" file=\S+ services=3 servicesEdited=1 realServersEdited=2\n/);
});

t.test('a bad config changes nothing, and the reload op says why', async (t) => {
  const dir = tempDir(t);
  const conf = join(dir, 'tsvsd.conf');
  writeFileSync(conf, '[rules]\n-A -t 192.168.88.5:80 -s rr\n-a -t 192.168.88.5:80 -r 192.168.99.1:80 -m\n');
  const { socket, rules } = await startDaemon(t, { configPath: conf }, dir);
  const before = readFileSync(rules, 'utf8');
  writeFileSync(conf, '[rules]\n-A -t 192.168.88.6:80 -s rr\n-A -t 192.168.88.7:80 -s nosuch\n');
  const r = await cli(socket, ['--reload']);
  t.equal(r.code, 1);
  t.equal(
    r.stderr,
    `tsvsadm: reload failed; keeping the running configuration: ${conf}:3: Scheduler or persistence engine not found\n`,
  );
  t.equal(readFileSync(rules, 'utf8'), before);
  t.equal(
    (await cli(socket, ['-S', '-n'])).stdout,
    '-A -t 192.168.88.5:80 -s rr\n-a -t 192.168.88.5:80 -r 192.168.99.1:80 -m -w 1\n',
  );
  writeFileSync(conf, '[rules]\n-A -t 192.168.88.6:80 -s rr\n');
  const ok = await cli(socket, ['--reload']);
  t.equal(ok.code, 0);
  t.equal(ok.stdout, `tsvsd reloaded ${conf}: servicesRemoved=1 servicesAdded=1\n`);
  t.equal((await cli(socket, ['-S', '-n'])).stdout, '-A -t 192.168.88.6:80 -s rr\n');
});

t.test('a service removed from the config while tsvsd was stopped is removed at start', async (t) => {
  const dir = tempDir(t);
  const conf = join(dir, 'tsvsd.conf');
  writeFileSync(conf, '[rules]\n-A -t 192.168.88.5:80 -s rr\n-A -t 192.168.88.5:81 -s rr\n');
  const first = await startDaemon(t, { configPath: conf }, dir);
  await cli(first.socket, ['-A', '-t', '192.168.88.5:443', '-s', 'wlc']);
  await first.daemon.stop();
  t.equal(
    readFileSync(`${first.rules}.config`, 'utf8'),
    '# The rules the last applied tsvsd config declared ([rules]); tsvsd removes what leaves them.\n' +
      '-A -t 192.168.88.5:80 -s rr\n-A -t 192.168.88.5:81 -s rr\n',
  );
  writeFileSync(conf, '[rules]\n-A -t 192.168.88.5:80 -s rr\n');
  const second = await startDaemon(t, { configPath: conf }, dir);
  t.equal(
    (await cli(second.socket, ['-S', '-n'])).stdout,
    '-A -t 192.168.88.5:80 -s rr\n-A -t 192.168.88.5:443 -s wlc\n',
  );
});

t.test('a reload hook that refuses its input keeps the rules as they run', async (t) => {
  const dir = tempDir(t);
  const conf = join(dir, 'tsvsd.conf');
  writeFileSync(conf, '[rules]\n-A -t 192.168.88.5:80 -s rr\n');
  const { daemon, socket } = await startDaemon(t, { configPath: conf }, dir);
  let committed = 0;
  let bad = true;
  daemon.addReloadHook({
    prepare: () => {
      if (bad) return Promise.reject(new Error('/etc/tsvs/keepalived.conf:3: unknown keyword'));
      return Promise.resolve(() => void committed++);
    },
  });
  writeFileSync(conf, '[rules]\n-A -t 192.168.88.6:80 -s rr\n');
  await t.rejects(daemon.reloadOrThrow(), {
    code: 'ERELOAD',
    message: 'reload failed; keeping the running configuration: /etc/tsvs/keepalived.conf:3: unknown keyword',
  });
  t.equal((await cli(socket, ['-S', '-n'])).stdout, '-A -t 192.168.88.5:80 -s rr\n');
  bad = false;
  t.same(await daemon.reloadOrThrow(), { config: conf, changes: { servicesRemoved: 1, servicesAdded: 1 } });
  t.equal(committed, 1);
  t.equal((await cli(socket, ['-S', '-n'])).stdout, '-A -t 192.168.88.6:80 -s rr\n');
});

t.test('without a config file --reload says there is nothing to reload', async (t) => {
  const { socket } = await startDaemon(t);
  const r = await cli(socket, ['--reload']);
  t.same(r, { code: 0, stdout: 'tsvsd runs without a config file (--config): no rules to reload\n', stderr: '' });
});
