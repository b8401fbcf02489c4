// tsvsd with IPv6 rules through its socket and tsvsadm: added, listed, deleted, written to the
// rules file, restored after a restart without loss, and re-asserted from the config's [rules]
// across a restart (reconcile), as for IPv4.
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, startDaemon, tempDir } from '../cli/fixtures/harness.ts';
import { AF_INET6 } from '../../src/model/dest.ts';
import { metricsSnapshot } from '../../src/daemon/metrics-provider.ts';
import { MemoryDataPlane } from '../../src/daemon/memory-data-plane.ts';

const RULES =
  '-A -t [2001:db8::5]:80 -s wrr\n' +
  '-a -t [2001:db8::5]:80 -r 10.0.0.1:80 -i -w 1 --tun-type ipip\n' +
  '-a -t [2001:db8::5]:80 -r [2001:db8::100]:80 -m -w 1\n' +
  '-a -t [2001:db8::5]:80 -r [2001:db8::101]:8080 -m -w 3\n' +
  '-A -f 7 -6 -s wlc -p 60 -M 64\n' +
  '-a -f 7 -6 -r [2001:db8::102]:0 -g -w 1\n';

t.test('IPv6 rules added with tsvsadm survive a restart, thresholds included', async (t) => {
  const dir = tempDir(t);
  const first = await startDaemon(t, {}, dir);
  const run = async (line: string) => {
    const r = await cli(first.socket, line.split(' '));
    t.equal(r.stderr, '', line);
  };
  await run('-A -t [2001:db8::5]:80 -s wrr');
  await run('-a -t [2001:db8::5]:80 -r 2001:db8::100 -m');
  await run('-a -t [2001:db8::5]:80 -r [2001:db8::101]:8080 -m -w 3 -x 100 -y 10');
  await run('-a -t [2001:db8::5]:80 -r [2001:db8::103]:80 -m');
  await run('-a -t [2001:db8::5]:80 -r 10.0.0.1 -i');
  await run('-d -t [2001:db8::5]:80 -r [2001:db8::103]:80');
  await run('-A -f 7 -6 -s wlc -p 60 -M 64');
  await run('-a -f 7 -6 -r 2001:db8::102 -g');
  const refused = await cli(first.socket, ['-a', '-t', '[2001:db8::5]:80', '-r', '[2001:db8::100]:80', '-m']);
  t.equal(refused.stderr, 'Destination already exists\n');
  const saved = (await cli(first.socket, ['-S', '-n'])).stdout;
  t.equal(saved, RULES, '-S sorts services and real servers; -x/-y are not in ipvsadm -S');
  const listed = (await cli(first.socket, ['-Ln'])).stdout;
  const file = readFileSync(first.rules, 'utf8');
  t.match(file, /-a -t \[2001:db8::5\]:80 -r \[2001:db8::101\]:8080 -m -w 3 -x 100 -y 10\n/);
  await first.daemon.stop();

  const second = await startDaemon(t, {}, dir);
  t.equal((await cli(second.socket, ['-S', '-n'])).stdout, saved, 'the same rules after the restart');
  t.equal((await cli(second.socket, ['-Ln'])).stdout, listed);
  const svc = second.daemon.table.services().find((s) => s.fwmark === 0)!;
  t.equal(svc.af, AF_INET6);
  const d101 = svc.dests.find((d) => d.port === 8080)!;
  t.same([d101.uThreshold, d101.lThreshold], [100, 10]);
  const m = metricsSnapshot(second.daemon.table, new MemoryDataPlane(), null, null);
  const tcp = m.services.find((s) => s.proto === 'tcp')!;
  t.equal(tcp.vip, '2001:db8::5', 'metrics label the VIP with its IPv6 text');
  t.same(tcp.dests.map((d) => d.rip).sort(), ['10.0.0.1', '2001:db8::100', '2001:db8::101']);
});

t.test('IPv6 rules in the config are restored and re-asserted across a restart', async (t) => {
  const dir = tempDir(t);
  const conf = join(dir, 'tsvsd.conf');
  writeFileSync(conf, '[rules]\n' + RULES);
  const first = await startDaemon(t, { configPath: conf }, dir);
  t.equal((await cli(first.socket, ['-S', '-n'])).stdout, RULES);
  await cli(first.socket, ['-e', '-t', '[2001:db8::5]:80', '-r', '[2001:db8::100]:80', '-m', '-w', '9']);
  await first.daemon.stop();
  writeFileSync(conf, '[rules]\n' + RULES.replace('-M 64', '-M 48'));
  const second = await startDaemon(t, { configPath: conf }, dir);
  const out = (await cli(second.socket, ['-S', '-n'])).stdout;
  t.match(out, /-A -f 7 -6 -s wlc -p 60 -M 48\n/, 'the config wins for what it declares');
  t.match(out, /-r \[2001:db8::100\]:80 -m -w 1\n/);
});
