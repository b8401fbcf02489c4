// tsvsd's packet engine between real Linux TCP/IP stacks in namespaces, with the kernel's default
// offloads on every veth: bulk TCP (GSO superpackets, partial checksums) through classic and full
// NAT, again with software checksums on the director's egress, UDP, an ICMP error NATed back,
// a restart after kill -9 that keeps the rules, and the kernel ingress filter (kernel-filter.ts):
// lvs1's kernel no longer routes-and-drops its copy of every forwarded frame, and the table goes
// with tsvsd.
import t from 'tap';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { LabDaemon } from '../../lab/lab-daemon.ts';
import { isAlive, netnsUnavailable, nsExec, spawnInNs, stopChild, uniqueSuffix } from '../../lab/netns.ts';
import { LabTopology, RIP1, RIP2, VIP } from '../../lab/topology.ts';
import { tcpCounters } from '../../bench/compare/sys.ts';
import { waitFor } from '../helpers/wait-for.ts';

const BULK_BYTES = 32 * 1024 * 1024;

const BULK_SERVER = `
const net = require('net');
const chunk = Buffer.alloc(65536);
for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 7 + 3) & 255;
net.createServer((s) => {
  let left = ${BULK_BYTES};
  const pump = () => { while (left > 0) { const n = Math.min(left, chunk.length); left -= n; if (!s.write(chunk.subarray(0, n))) return s.once('drain', pump); } s.end(); };
  s.on('error', () => {}); pump();
}).listen(9000, process.argv[1]);`;

const BULK_CLIENT = `
const h = require('crypto').createHash('sha256'); let n = 0;
const s = require('net').connect(9000, '${VIP}');
s.on('data', (d) => { n += d.length; h.update(d); });
s.on('end', () => { console.log(n + ' ' + h.digest('hex')); process.exit(0); });
s.on('error', (e) => { console.log('error ' + e.message); process.exit(1); });
setTimeout(() => { console.log('timeout ' + n); process.exit(1); }, 30000);`;

const UDP_ECHO = `
const s = require('dgram').createSocket('udp4');
s.on('message', (m, r) => s.send(Buffer.concat([Buffer.from('echo:'), m]), r.port, r.address));
s.bind(5353, process.argv[1]);`;

function expectedDigest(): string {
  const chunk = Buffer.alloc(65536);
  for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 7 + 3) & 255;
  const h = createHash('sha256');
  for (let left = BULK_BYTES; left > 0; left -= chunk.length) h.update(chunk.subarray(0, Math.min(left, chunk.length)));
  return h.digest('hex');
}

/** Whether a socket in ns listens on (TCP) or is bound to (UDP) addr:port. */
function bound(ns: string, proto: 'tcp' | 'udp', addr: string, port: number): boolean {
  const flags = proto === 'tcp' ? '-Hltn' : '-Hlun';
  return nsExec(ns, 'ss', flags, `( sport = :${port} )`).includes(`${addr}:${port}`);
}

function run(ns: string, cmd: string, args: string[], timeoutMs = 40_000): string {
  const r = spawnSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8', timeout: timeoutMs });
  return (r.stdout ?? '').trim() + (r.status === 0 ? '' : ` [exit ${r.status}] ${r.stderr ?? ''}`);
}

const why = netnsUnavailable();
if (why !== null) {
  t.plan(0, `skipped: ${why}`);
} else {
  t.test('tsvsd forwards real TCP, UDP and ICMP between namespace stacks', async (t) => {
    const lab = new LabTopology(`te${uniqueSuffix()}`);
    const d = new LabDaemon(lab);
    const children: ReturnType<typeof spawnInNs>[] = [];
    try {
      lab.up({ mode: 'tsvs' });
      await d.start();
      children.push(spawnInNs(lab.web1, process.execPath, ['-e', BULK_SERVER, RIP1]));
      children.push(spawnInNs(lab.web2, process.execPath, ['-e', UDP_ECHO, RIP2]));
      d.tsvsadm(['-A', '-t', `${VIP}:9000`, '-s', 'rr']);
      d.tsvsadm(['-a', '-t', `${VIP}:9000`, '-r', `${RIP1}:9000`, '-m']);
      d.tsvsadm(['-A', '-u', `${VIP}:5353`, '-s', 'rr']);
      d.tsvsadm(['-a', '-u', `${VIP}:5353`, '-r', `${RIP2}:5353`, '-m']);
      d.tsvsadm(['-A', '-u', `${VIP}:5354`, '-s', 'rr']);
      d.tsvsadm(['-a', '-u', `${VIP}:5354`, '-r', `${RIP1}:5354`, '-m']);
      await waitFor(`the bulk server on ${RIP1}:9000 in ${lab.web1}`, () => bound(lab.web1, 'tcp', RIP1, 9000));
      await waitFor(`the UDP echo on ${RIP2}:5353 in ${lab.web2}`, () => bound(lab.web2, 'udp', RIP2, 5353));
      const digest = expectedDigest();

      const bulk = (label: string): void => {
        const out = run(lab.client, process.execPath, ['-e', BULK_CLIENT]);
        t.equal(out, `${BULK_BYTES} ${digest}`, `${label}: ${BULK_BYTES} bytes arrive intact`);
        if (out !== `${BULK_BYTES} ${digest}`) t.comment(`got: ${out}`);
      };
      const addrErrors = (): number => tcpCounters(lab.lvs).get('IpInAddrErrors') ?? -1;
      const filterDrops = (): number[] =>
        [...run(lab.lvs, 'nft', ['list', 'table', 'netdev', 'tsvsd']).matchAll(/counter packets (\d+)/g)].map((m) =>
          Number(m[1]),
        );
      const forwarded = async (): Promise<number> => {
        const s = (await d.request('engine.stats')) as { forwardedIn: number; forwardedOut: number };
        return s.forwardedIn + s.forwardedOut;
      };
      const errors0 = addrErrors();
      const fwd0 = await forwarded();
      bulk('classic NAT');
      const fwd = (await forwarded()) - fwd0;
      const dropped = filterDrops();
      t.equal(dropped.length, 2, 'tsvsd installed one ingress chain per interface (eth0, eth1)');
      const sum = dropped.reduce((a, b) => a + b, 0);
      t.ok(
        sum >= fwd && fwd > 500,
        `the ingress filter dropped the kernel's copy of each of the ${fwd} frames tsvs forwarded (${dropped.join(' + ')})`,
      );
      t.ok(
        addrErrors() - errors0 < 10,
        `lvs1's kernel routed and dropped almost none of them itself (IpInAddrErrors +${addrErrors() - errors0})`,
      );
      const stats1 = (await d.request('engine.stats')) as { gsoFrames: number; drops: Record<string, number> };
      t.ok(stats1.gsoFrames > 0, `GSO superpackets went through whole (${stats1.gsoFrames})`);

      // Software checksums on the director's egress: the kernel finalises our partial checksums
      // and the receiver verifies them, so a wrong pseudo-header seed would break the transfer.
      nsExec(lab.lvs, 'ethtool', '-K', 'eth1', 'tx', 'off');
      nsExec(lab.lvs, 'ethtool', '-K', 'eth0', 'tx', 'off');
      bulk('classic NAT, tx checksum offload off on the director');

      d.tsvsadm(['-e', '-t', `${VIP}:9000`, '-r', `${RIP1}:9000`, '-F']);
      bulk('full NAT, tx checksum offload off');
      nsExec(lab.lvs, 'ethtool', '-K', 'eth1', 'tx', 'on');
      nsExec(lab.lvs, 'ethtool', '-K', 'eth0', 'tx', 'on');
      bulk('full NAT, default offloads');

      const udp = run(lab.client, process.execPath, [
        '-e',
        `const s=require('dgram').createSocket('udp4');s.on('message',(m,r)=>{console.log(m+' from '+r.address+':'+r.port);process.exit(0)});s.send('hi',5353,'${VIP}');setTimeout(()=>{console.log('timeout');process.exit(1)},3000)`,
      ]);
      t.equal(udp, `echo:hi from ${VIP}:5353`, 'UDP through the VIP and back from the VIP');

      const refused = run(lab.client, 'python3', [
        '-c',
        `import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.settimeout(3)\ns.connect(('${VIP}',5354))\ns.send(b'x')\ntry:\n  s.recv(10); print('reply')\nexcept ConnectionRefusedError: print('refused')\nexcept socket.timeout: print('timeout')`,
      ]);
      t.equal(refused, 'refused', "the real server's ICMP port unreachable is NATed back to the client");

      const before = d.tsvsadm(['-Ln']).stdout;
      const pid = d.pid();
      t.ok(pid !== null);
      process.kill(pid!, 'SIGKILL');
      // The restart must not find the killed tsvsd still answering on its socket.
      await waitFor(`the killed tsvsd (pid ${pid}) to be gone`, () => !isAlive(pid!));
      await d.start({ keepRules: true });
      t.equal(
        d.tsvsadm(['-Ln']).stdout.replace(/\d+\s+\d+\s+$/gm, ''),
        before.replace(/\d+\s+\d+\s+$/gm, ''),
        'rules survive kill -9 and restart',
      );
      bulk('after restart');
      t.equal(
        filterDrops().length,
        2,
        'after kill -9 the restarted tsvsd replaces the stale ingress table (one chain per interface)',
      );
      d.stop();
      t.notMatch(run(lab.lvs, 'nft', ['list', 'tables']), /netdev tsvsd/, 'SIGTERM removes the ingress table');
    } finally {
      for (const c of children) await stopChild(c);
      d.stop();
      lab.down();
    }
  });
}
