// The SYN proxy for an IPv6 service set to `always`, against real Linux TCP stacks: the NAT lab
// dual-stack (lab/ipv6.ts), curl over IPv6 from the client namespace through [VIP6]:80 to the
// real servers, in NAT66 (-m) then FNAT66 (-F). Every handshake is answered by the director's
// cookie SYN-ACK, the proven ACK opens the real-server side; a keep-alive connection carries
// several requests (sequence numbers and timestamps translated both ways); a client SYN that
// never ACKs its cookie never reaches a real server (counted by a raw capture in the real
// servers' namespaces, with curls from known ports as the capture's positive control).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { LabDaemon } from '../../lab/lab-daemon.ts';
import { CIP6, RIP1_6, RIP2_6, VIP6, VIP6_URL } from '../../lab/ipv6.ts';
import { macOf, netnsUnavailable, nsExec, uniqueSuffix } from '../../lab/netns.ts';
import { LabTopology } from '../../lab/topology.ts';
import { buildFrame6 } from '../helpers/frames6.ts';
import { sendRaw, Sniffer6 } from '../helpers/raw-frame.ts';

/** The IPv6 full-NAT address: tsvs-owned, in the DIP6's prefix (as test/lab/fnat66.test.ts). */
const LADDR6 = '2001:db8:99::6';
const CURLS = 20;
/** The source port of the SYNs that never ACK, and the control curls' ports. */
const LOST_PORT = 55555;
const CONTROL = [55556, 55557] as const;

/** curl over IPv6 to the VIP6; the HTTP codes and connections made, one line per URL. */
function curl6(ns: string, urls: number, extra: readonly string[] = []): string {
  const args = ['-g', '-s', '-m', '3', '-w', '%{http_code} %{num_connects}\\n'];
  for (let i = 0; i < urls; i++) args.push('-o', '/dev/null', VIP6_URL);
  const r = spawnSync('ip', ['netns', 'exec', ns, 'curl', ...extra, ...args], { encoding: 'utf8', timeout: 10_000 });
  return r.stdout;
}

interface SpStats {
  synproxy: Record<string, number>;
}

const why = netnsUnavailable();
const noPython = spawnSync('sh', ['-c', 'command -v python3'], { stdio: 'ignore' }).status !== 0;
if (why !== null) {
  t.plan(0, `skipped: ${why}`);
} else if (noPython) {
  t.plan(0, 'skipped: python3 (raw frames) is not installed');
} else {
  t.test('IPv6 service with synproxy always: NAT66 then FNAT66, keep-alive, unproven SYNs stay at tsvs', async (t) => {
    const lab = new LabTopology(`s6${uniqueSuffix()}`);
    const d = new LabDaemon(lab);
    try {
      lab.up({ mode: 'tsvs', ipv6: true });
      await d.start({ engineExtra: `fullnat-address ${LADDR6}\n` });
      const svc = `[${VIP6}]:80`;
      d.tsvsadm(['-A', '-t', svc, '-s', 'rr', '--synproxy', 'always']);
      t.match(d.tsvsadm(['-Ln']).stdout, /TCP {2}\[2001:db8:88::5\]:80 rr synproxy\n/, '-Ln shows synproxy');
      t.match(d.tsvsadm(['-Sn']).stdout, `-A -t ${svc} -s rr --synproxy always\n`);
      const stats = async (): Promise<Record<string, number>> =>
        ((await d.request('engine.stats')) as SpStats).synproxy;
      let sent = 0;
      let validated = 0;
      for (const [name, fwd, cmd] of [
        ['NAT66', '-m', '-a'],
        ['FNAT66', '-F', '-e'],
      ] as const) {
        d.tsvsadm([cmd, '-t', svc, '-r', `[${RIP1_6}]:80`, fwd]);
        d.tsvsadm([cmd, '-t', svc, '-r', `[${RIP2_6}]:80`, fwd]);
        let ok = 0;
        for (let i = 0; i < CURLS; i++) if (curl6(lab.client, 1) === '200 1\n') ok++;
        t.equal(ok, CURLS, `${name}: every curl over IPv6 answered 200`);
        // Five requests on one connection: the second and later reuse it (0 new connections).
        t.equal(
          curl6(lab.client, 5),
          '200 1\n200 0\n200 0\n200 0\n200 0\n',
          `${name}: a keep-alive connection carries five requests`,
        );
        const sp = await stats();
        t.ok(sp['cookiesSent']! - sent >= CURLS + 1, `${name}: a cookie per connection (${sp['cookiesSent']! - sent})`);
        t.ok(sp['cookiesValidated']! - validated >= CURLS + 1, `${name}: each proven by the client`);
        t.equal(sp['cookiesFailed'], 0, `${name}: no real client failed its cookie`);
        sent = sp['cookiesSent']!;
        validated = sp['cookiesValidated']!;
        if (name === 'FNAT66') {
          const head = nsExec(lab.client, 'curl', '-g', '-si', '-m', '2', VIP6_URL);
          t.match(
            head,
            new RegExp(`X-Client-Addr: ${LADDR6}\\r?\\n`, 'i'),
            'FNAT66: the server saw the full-NAT address',
          );
          continue;
        }
        // NAT66 keeps the client port toward the real servers: capture there what comes from
        // LOST_PORT. Three SYNs from it are answered by cookies the client never proves (its
        // kernel has no socket: it answers the SYN-ACK with an RST); then one curl from each
        // control port, one per real server under rr, ends each capture.
        const sniffers = [lab.web1, lab.web2].map(
          (ns) => new Sniffer6(ns, 'eth1', [LOST_PORT, ...CONTROL], CONTROL, 30),
        );
        await Promise.all(sniffers.map((s) => s.ready));
        const before = await stats();
        const syn = {
          src: CIP6,
          dst: VIP6,
          srcMac: macOf(lab.client, 'eth0'),
          dstMac: macOf(lab.lvs, 'eth0'),
          proto: 'tcp' as const,
          sport: LOST_PORT,
          dport: 80,
          flags: 'S',
          seq: 0x12345678,
          tcpOptions: Uint8Array.from([2, 4, 0x05, 0xa0]),
        };
        for (let i = 0; i < 3; i++) sendRaw(lab.client, 'eth0', buildFrame6(syn));
        let cookies = before['cookiesSent']!;
        for (let i = 0; i < 100 && cookies - before['cookiesSent']! < 3; i++) {
          await new Promise((r) => setTimeout(r, 50));
          cookies = (await stats())['cookiesSent']!;
        }
        t.equal(cookies - before['cookiesSent']!, 3, 'each lone SYN was answered with a cookie');
        for (const port of CONTROL) t.equal(curl6(lab.client, 1, ['--local-port', String(port)]), '200 1\n');
        const seen = await Promise.all(sniffers.map((s) => s.counts()));
        const [w1, w2] = seen;
        t.ok(w1 !== null && w2 !== null, 'each real server saw its control curl (the capture works)');
        t.equal(
          (w1?.[String(LOST_PORT)] ?? -1) + (w2?.[String(LOST_PORT)] ?? -1),
          0,
          'no segment of the unproven SYNs reached a real server',
        );
        t.equal((await stats())['cookiesFailed'], 0, 'the RSTs of the client kernel are not cookie failures');
        const end = await stats();
        sent = end['cookiesSent']!;
        validated = end['cookiesValidated']!;
      }
      t.match(d.tsvsadm(['--engine']).stdout, /synproxy:\n {2}cookies sent \d+ {2}validated \d+ {2}failed 0/);
    } finally {
      d.stop();
      lab.down();
    }
    t.notOk(lab.anyLeft(), 'no namespace left');
  });
}
