// A real SYN flood against tsvsd in the lab: `hping3 -S --flood --rand-source` at the VIP for 8 s
// from a flooder namespace whose only way out is through the lab's client namespace into lvs1
// (the random sources never leave the lab: lvs1 has no route to them and drops the replies),
// while the client curls the VIP and holds a keep-alive connection opened before the flood.
// With the embryonic quota and the defence on, curls keep succeeding during the flood and the
// keep-alive connection still works after it.
import t from 'tap';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { LabDaemon } from '../../lab/lab-daemon.ts';
import {
  addNetns,
  addVeth,
  delNetns,
  ip,
  isAlive,
  nsExec,
  nsExists,
  spawnInNs,
  uniqueSuffix,
} from '../../lab/netns.ts';
import { netnsUnavailable } from '../../lab/netns.ts';
import { LabTopology, VIP } from '../../lab/topology.ts';
import { waitFor } from '../helpers/wait-for.ts';

const FLOOD_S = 8;
const MAX_CURLS = 60;

/** In the client namespace: one keep-alive connection; a GET now, another after a line on stdin. */
const KEEPALIVE = `
const http = require('node:http');
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const get = () => new Promise((resolve) => {
  const r = http.get({ host: '${VIP}', path: '/', agent, timeout: 3000 }, (m) => {
    let body = '';
    m.on('data', (d) => (body += d));
    m.on('end', () => resolve({ status: m.statusCode, port: r.socket.localPort, body: body.trim() }));
  });
  r.on('timeout', () => r.destroy(new Error('timeout')));
  r.on('error', (e) => resolve({ error: e.message }));
});
get().then((a) => {
  console.log(JSON.stringify(a));
  process.stdin.once('data', () => get().then((b) => { console.log(JSON.stringify(b)); process.exit(0); }));
});
setTimeout(() => process.exit(2), 60000);
`;

interface Reply {
  status?: number;
  port?: number;
  body?: string;
  error?: string;
}

/** The stdout lines of a child, as they come. */
function lines(c: ChildProcess): string[] {
  const out: string[] = [];
  let buf = '';
  c.stdout?.on('data', (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop() ?? '';
    out.push(...parts);
  });
  return out;
}

function curlOk(ns: string): boolean {
  const r = spawnSync(
    'ip',
    ['netns', 'exec', ns, 'curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '-m', '3', `http://${VIP}/`],
    {
      encoding: 'utf8',
      timeout: 5000,
    },
  );
  return r.stdout === '200';
}

function hasHping3(): boolean {
  return spawnSync('sh', ['-c', 'command -v hping3'], { stdio: 'ignore' }).status === 0;
}

const why = netnsUnavailable() ?? (hasHping3() ? null : 'hping3 is not installed (apt-get install hping3)');
if (why !== null) {
  t.plan(0, `skipped: ${why}`);
} else {
  t.test('during a random-source SYN flood curls succeed and a keep-alive connection lives on', async (t) => {
    const lab = new LabTopology(`sf${uniqueSuffix()}`);
    const flooder = `${lab.prefix}-flood`;
    const d = new LabDaemon(lab);
    let keep: ChildProcess | null = null;
    try {
      lab.up({ mode: 'tsvs' });
      // The flooder sits behind the client namespace, which forwards its packets to lvs1 and
      // nowhere else (its only other link is eth0, to lvs1).
      addNetns(flooder);
      addVeth(lab.client, 'fl0', flooder, 'eth0');
      ip('-n', lab.client, 'addr', 'add', '10.253.0.1/30', 'dev', 'fl0');
      ip('-n', lab.client, 'link', 'set', 'fl0', 'up');
      nsExec(
        lab.client,
        'sysctl',
        '-qw',
        'net.ipv4.ip_forward=1',
        'net.ipv4.conf.all.rp_filter=0',
        'net.ipv4.conf.fl0.rp_filter=0',
      );
      ip('-n', flooder, 'addr', 'add', '10.253.0.2/30', 'dev', 'eth0');
      ip('-n', flooder, 'link', 'set', 'eth0', 'up');
      ip('-n', flooder, 'route', 'add', 'default', 'via', '10.253.0.1');
      // The defence on: auto levels with amemthresh above the free entries the quota leaves
      // (65536 - 32768), so drop_entry, drop_packet and secure_tcp engage during the flood.
      await d.start({
        engineExtra: 'embryonic-quota 50\ndrop-entry 1\ndrop-packet 1\nsecure-tcp 1\namemthresh 40000\n',
      });
      d.tsvsadm(['-A', '-t', `${VIP}:80`, '-s', 'rr']);
      d.tsvsadm(['-a', '-t', `${VIP}:80`, '-r', '192.168.99.100:80', '-m']);
      d.tsvsadm(['-a', '-t', `${VIP}:80`, '-r', '192.168.99.200:80', '-m']);
      t.ok(curlOk(lab.client), 'the service answers before the flood');

      keep = spawnInNs(lab.client, process.execPath, ['-e', KEEPALIVE], { stdio: ['pipe', 'pipe', 'ignore'] });
      const keepOut = lines(keep);
      await waitFor('the keep-alive connection to open', () => keepOut.length >= 1, { timeoutMs: 10_000 });
      const first = JSON.parse(keepOut[0]!) as Reply;
      t.equal(first.status, 200, 'keep-alive connection: first request answered');

      const flood = spawnInNs(flooder, 'timeout', [
        String(FLOOD_S),
        'hping3',
        '-q',
        '-S',
        '-p',
        '80',
        '--flood',
        '--rand-source',
        VIP,
      ]);
      const stats = async (): Promise<Record<string, unknown>> =>
        (await d.request('engine.stats')) as Record<string, unknown>;
      const defense = async (): Promise<Record<string, number | boolean>> =>
        (await stats())['defense'] as Record<string, number | boolean>;
      await waitFor(
        'the flood to fill the embryonic quota',
        async () => ((await defense())['embryonicRecycled'] as number) > 0,
        {
          timeoutMs: 5000,
        },
      );
      let ok = 0;
      let tried = 0;
      while (flood.pid !== undefined && isAlive(flood.pid) && tried < MAX_CURLS) {
        tried++;
        if (curlOk(lab.client)) ok++;
      }
      const during = await defense();
      await waitFor('hping3 to end', () => flood.pid === undefined || !isAlive(flood.pid), { timeoutMs: 15_000 });
      const after = await stats();
      const def = after['defense'] as Record<string, number | boolean>;
      t.comment(
        `during the flood: ${ok}/${tried} curls answered; embryonic ${String(def['embryonic'])} of ${String(def['embryonicQuota'])}, ` +
          `recycled ${String(def['embryonicRecycled'])}; drop_entry deleted ${String(def['entriesDropped'])}, ` +
          `drop_packet dropped ${String(def['packetsDropped'])}; drops ${JSON.stringify(after['drops'])}`,
      );
      t.ok(tried >= 3, `curls ran during the flood (${tried})`);
      t.ok(ok / tried >= 0.8, `at least 80% of the curls during the flood answered (${ok}/${tried})`);
      t.equal(during['nomem'], true, 'free entries fell below amemthresh: the auto levels engaged');
      t.same([during['dropEntry'], during['dropPacket'], during['secureTcp']], [2, 2, 2]);
      t.equal((after['drops'] as Record<string, number>)['conn_table_full'] ?? 0, 0, 'the table never ran full');
      t.ok(curlOk(lab.client), 'right after the flood the service answers (no 60 s of SYN_RECV debris)');

      keep.stdin?.write('again\n');
      await waitFor('the keep-alive connection to answer again', () => keepOut.length >= 2, { timeoutMs: 10_000 });
      const second = JSON.parse(keepOut[1]!) as Reply;
      t.equal(second.status, 200, 'the keep-alive connection opened before the flood works after it');
      t.equal(second.port, first.port, 'on the same connection');
    } finally {
      if (keep?.pid !== undefined) keep.kill('SIGTERM');
      delNetns(flooder); // kills what still runs in it (hping3), by PID
      d.stop();
      lab.down();
    }
    t.notOk(nsExists(flooder) || lab.anyLeft(), 'no namespace left');
  });
}
