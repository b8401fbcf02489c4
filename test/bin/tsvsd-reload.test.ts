// tsvsd as a process, reloading: after the config is edited, SIGHUP (or tsvsadm --reload) makes
// `tsvsadm -Sn` hold exactly the config's rules, also when a thousand of them change at once;
// [engine] keys that cannot change live are named in the log.
import t from 'tap';
import net from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTsvsd, tempDir, tsvsadm } from './fixtures/procs.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { serviceRules as rules } from '../helpers/rule-lines.ts';

const sorted = (text: string): string[] =>
  text
    .split('\n')
    .filter((l) => l !== '')
    .sort();

t.test('SIGHUP makes the running rules equal the config, with a thousand changes in one reload', async (t) => {
  const dir = tempDir(t);
  const socket = join(dir, 's.sock');
  const conf = join(dir, 'tsvsd.conf');
  const s = ['--socket', socket];
  // 250 services x 3 real servers = 1000 lines.
  const before = rules(0, 250, 3, 'wrr', () => 1);
  writeFileSync(conf, `[engine]\nconn-capacity 1024\n[rules]\n${before.join('\n')}\n`);
  const d = await startTsvsd(
    t,
    ['--config', conf, '--socket', socket, '--rules', join(dir, 'rules'), '--backend', 'none'],
    socket,
  );
  t.same(sorted((await tsvsadm([...s, '-S', '-n'])).stdout), [...before].sort());

  // Services 0-99 leave, 100-174 keep everything, 175-249 get a new scheduler and new weights
  // and lose one real server, and 250-399 are new: 100*4 + 75*(1+2+1) + 150*4 = 1300 changes.
  const after = [
    ...rules(100, 75, 3, 'wrr', () => 1),
    ...rules(175, 75, 2, 'wlc', (i, j) => 2 + ((i + j) % 5)),
    ...rules(250, 150, 3, 'rr', () => 1),
  ];
  writeFileSync(conf, `[engine]\nconn-capacity 2048\n[rules]\n${after.join('\n')}\n`);
  process.kill(d.proc.pid!, 'SIGHUP');
  const want = [...after].sort();
  const got = await waitFor('the reload to show in -Sn', async () => {
    const now = sorted((await tsvsadm([...s, '-S', '-n'])).stdout);
    return now.length === want.length && now.join('\n') === want.join('\n') ? now : null;
  });
  t.same(got, want);

  // tsvsadm --reload does the same over the socket and says what changed.
  writeFileSync(conf, `[engine]\nconn-capacity 2048\n[rules]\n${after.slice(0, 4).join('\n')}\n`);
  const r = await tsvsadm([...s, '--reload']);
  t.equal(r.stderr, '');
  t.equal(r.stdout, `tsvsd reloaded ${conf}: servicesRemoved=299\n`);
  t.same(sorted((await tsvsadm([...s, '-S', '-n'])).stdout), after.slice(0, 4).sort());

  process.kill(d.proc.pid!, 'SIGTERM');
  const done = await d.done;
  t.equal(done.code, 0);
  t.match(
    done.stderr,
    /level=info msg="config reloaded" file=\S+ services=300 servicesRemoved=100 realServersRemoved=75 servicesEdited=75 realServersEdited=150 servicesAdded=150 realServersAdded=450\n/,
  );
  t.match(done.stderr, /level=warn msg="reload: \[engine\] conn-capacity changes at the next start only"\n/);
});

t.test('SIGHUP reloads the --health file too; a broken one changes nothing', async (t) => {
  const dir = tempDir(t);
  const socket = join(dir, 's.sock');
  const health = join(dir, 'keepalived.conf');
  const servers: net.Server[] = [];
  for (let i = 0; i < 2; i++) {
    const srv = net.createServer((c) => c.destroy());
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    servers.push(srv);
  }
  t.teardown(() => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))));
  const [p1, p2] = servers.map((s) => (s.address() as net.AddressInfo).port);
  const vs = (ports: number[]): string =>
    'virtual_server 192.168.88.5 80 {\n  delay_loop 1\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n' +
    ports
      .map(
        (p) => `  real_server 127.0.0.1 ${p} {\n    weight 2\n    TCP_CHECK {\n      connect_timeout 1\n    }\n  }\n`,
      )
      .join('') +
    '}\n';
  writeFileSync(health, vs([p1!]));
  const d = await startTsvsd(
    t,
    ['--socket', socket, '--rules', join(dir, 'rules'), '--backend', 'none', '--health', health],
    socket,
  );
  const s = ['--socket', socket];
  const dump = async (): Promise<string> => (await tsvsadm([...s, '-S', '-n'])).stdout;
  const line = (p: number): string => `-a -t 192.168.88.5:80 -r 127.0.0.1:${p} -m -w 2`;
  t.equal(await dump(), `-A -t 192.168.88.5:80 -s rr\n${line(p1!)}\n`);

  writeFileSync(health, 'virtual_server 192.168.88.5 80 {\n  real_server\n');
  const bad = await tsvsadm([...s, '--reload']);
  t.equal(bad.code, 1);
  t.match(bad.stderr, /^tsvsadm: reload failed; keeping the running configuration: /);
  t.equal(await dump(), `-A -t 192.168.88.5:80 -s rr\n${line(p1!)}\n`);

  writeFileSync(health, vs([p2!]));
  process.kill(d.proc.pid!, 'SIGHUP');
  const want = `-A -t 192.168.88.5:80 -s rr\n${line(p2!)}\n`;
  t.equal(await waitFor('the health reload', async () => ((await dump()) === want ? want : null)), want);
  process.kill(d.proc.pid!, 'SIGTERM');
  t.match((await d.done).stderr, /level=info msg="health checks reloaded" file=\S+ virtualServers=1 removed=1\n/);
});
