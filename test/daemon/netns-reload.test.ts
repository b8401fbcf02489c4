// Reload with a running packet engine, in the lab's namespaces: SIGHUP turns the kernel ingress
// filter off and on again and sets the busy-poll window (the live [engine] keys), names the keys that wait
// for the next start, and reconciles [rules] while a client's keep-alive connection through an
// unchanged service keeps working.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LabDaemon } from '../../lab/lab-daemon.ts';
import { netnsUnavailable, spawnInNs, stopChild, uniqueSuffix } from '../../lab/netns.ts';
import { LabTopology, RIP1, RIP2, VIP } from '../../lab/topology.ts';
import { waitFor } from '../helpers/wait-for.ts';

function run(ns: string, cmd: string, args: string[]): string {
  const r = spawnSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8', timeout: 20_000 });
  return (r.stdout ?? '').trim() + (r.status === 0 ? '' : ` [exit ${r.status}] ${r.stderr ?? ''}`);
}

/** Two HTTP requests on one connection; the second waits until `go` exists (bounded to 30 s). */
const KEEPALIVE_CLIENT = `
const fs = require('fs');
const s = require('net').connect(80, process.argv[1]);
const req = 'GET / HTTP/1.1\\r\\nHost: lab\\r\\nConnection: keep-alive\\r\\n\\r\\n';
let buf = ''; const codes = [];
s.on('data', (d) => {
  buf += d.toString('latin1');
  const m = /^HTTP\\/1\\.1 (\\d+)[^]*?\\r\\n\\r\\n/.exec(buf);
  if (m === null) return;
  const len = Number((/content-length: (\\d+)/i.exec(m[0]) || [0, 0])[1]);
  if (buf.length < m[0].length + len) return;
  buf = buf.slice(m[0].length + len); codes.push(m[1]);
  if (codes.length === 2) { console.log(codes.join(' ')); process.exit(0); }
  fs.writeFileSync(process.argv[2] + '.first', '');
  const wait = () => (fs.existsSync(process.argv[2]) ? s.write(req) : setTimeout(wait, 20));
  wait();
});
s.on('error', (e) => { console.log('error ' + e.message); process.exit(1); });
s.write(req);
setTimeout(() => { console.log('timeout ' + codes.join(' ')); process.exit(1); }, 30000);`;

const why = netnsUnavailable();
if (why !== null) {
  t.plan(0, `skipped: ${why}`);
} else if (spawnSync('nft', ['--version']).error !== undefined) {
  t.plan(0, 'skipped: nft is missing (the kernel ingress filter needs it)');
} else {
  t.test('SIGHUP toggles the kernel filter and reconciles rules under a live connection', async (t) => {
    const lab = new LabTopology(`tr${uniqueSuffix()}`);
    const d = new LabDaemon(lab);
    const go = join(lab.stateDir, 'go');
    try {
      lab.up({ mode: 'tsvs' });
      await d.start();
      const conf = join(d.dir, 'tsvsd.conf');
      const base = readFileSync(conf, 'utf8');
      const rules = (extra: string): string =>
        `[rules]\n-A -t ${VIP}:80 -s rr\n-a -t ${VIP}:80 -r ${RIP1}:80 -m -w 1\n${extra}`;
      const hup = (): void => void process.kill(d.pid()!, 'SIGHUP');
      const table = (): string => run(lab.lvs, 'nft', ['list', 'tables']);
      const sorted = (): string => d.tsvsadm(['-S', '-n']).stdout.split('\n').filter(Boolean).sort().join('\n');

      writeFileSync(conf, `${base}\n${rules(`-A -t ${VIP}:81 -s rr\n-a -t ${VIP}:81 -r ${RIP2}:80 -m -w 1\n`)}`);
      hup();
      await waitFor('the config rules', () => d.tsvsadm(['-Ln']).stdout.includes(`${VIP}:81`));
      t.match(table(), /netdev tsvsd/, 'the ingress table is there (kernel-filter defaults to on)');

      const client = spawnInNs(lab.client, process.execPath, ['-e', KEEPALIVE_CLIENT, VIP, go], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      t.teardown(() => stopChild(client));
      let out = '';
      client.stdout?.setEncoding('utf8').on('data', (c: string) => (out += c));
      await waitFor('the first response on the keep-alive connection', () => existsSync(`${go}.first`));

      // One reload: the filter goes, conn-capacity waits, :81 leaves, :82 comes, :80 is untouched.
      writeFileSync(
        conf,
        `${base}kernel-filter off\nconn-capacity 4096\nbusy-poll-us 20\n` +
          rules(`-A -t ${VIP}:82 -s wrr\n-a -t ${VIP}:82 -r ${RIP2}:80 -m -w 3\n`),
      );
      hup();
      await waitFor('the ingress table to go', () => !/netdev tsvsd/.test(table()));
      t.equal(
        sorted(),
        [
          `-A -t ${VIP}:80 -s rr`,
          `-A -t ${VIP}:82 -s wrr`,
          `-a -t ${VIP}:80 -r ${RIP1}:80 -m -w 1`,
          `-a -t ${VIP}:82 -r ${RIP2}:80 -m -w 3`,
        ]
          .sort()
          .join('\n'),
      );
      writeFileSync(go, '');
      await waitFor('the keep-alive client to finish', () => client.exitCode !== null);
      t.equal(out.trim(), '200 200', 'the connection through the unchanged service served both requests');
      const spins = Number(/"spins":(\d+)/.exec(d.tsvsadm(['--engine']).stdout)?.[1] ?? 0);
      t.ok(spins > 0, `the native loop busy-polled after frames (${spins} sessions)`);

      writeFileSync(conf, `${base}kernel-filter on\nconn-capacity 4096\n` + rules(''));
      hup();
      await waitFor('the ingress table to come back', () => /netdev tsvsd/.test(table()));
      await waitFor('the second reload to show', () => !d.tsvsadm(['-Ln']).stdout.includes(`${VIP}:82`));
      const log = readFileSync(d.logFile, 'utf8');
      t.match(log, /level=info msg="reload: kernel filter removed"\n/);
      t.match(log, /level=info msg="reload: kernel filter installed"\n/);
      t.match(log, /level=warn msg="reload: \[engine\] conn-capacity changes at the next start only"\n/);
      t.match(log, /level=info msg="reload: \[engine\] busy-poll-us applied" us=20\n/);
    } finally {
      rmSync(go, { force: true });
      rmSync(`${go}.first`, { force: true });
      d.stop();
      lab.down();
    }
  });
}
