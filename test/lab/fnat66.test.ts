// Full NAT over IPv6 and IPv6 persistence against real Linux stacks in namespaces: the NAT lab
// dual-stack (lab/ipv6.ts) with an IPv6 full-NAT address on the real-server side, and the real
// servers' IPv6 default route removed, so a reply can only reach the client through tsvs's
// rewrite to the full-NAT address. curl over IPv6 through tsvsd with -F real servers, wrr 3:1
// counted per real server, the real server sees the full-NAT address as its client; then the
// service made persistent (-p 60): one client's requests all land on one real server, and -Lnc
// lists the IPv6 template.
import t from 'tap';
import { LabDaemon } from '../../lab/lab-daemon.ts';
import { RIP1_6, RIP2_6, VIP6, VIP6_URL } from '../../lab/ipv6.ts';
import { ip, macOf, netnsUnavailable, nsExec, uniqueSuffix } from '../../lab/netns.ts';
import { LabTopology } from '../../lab/topology.ts';
import { drive } from '../../lab/traffic.ts';

/** The IPv6 full-NAT address: tsvs-owned, in the DIP6's prefix (2001:db8:99::/64). */
const LADDR6 = '2001:db8:99::6';

const why = netnsUnavailable();
if (why !== null) {
  t.plan(0, `skipped: ${why}`);
} else {
  t.test('FNAT66: curl through tsvs to -F real servers with no route back, wrr 3:1; then -p 60', async (t) => {
    const lab = new LabTopology(`f6${uniqueSuffix()}`);
    const d = new LabDaemon(lab);
    try {
      lab.up({ mode: 'tsvs', ipv6: true });
      // The real servers keep only their connected prefix: no route to the clients' 2001:db8:88::/64.
      for (const ns of [lab.web1, lab.web2]) ip('-n', ns, '-6', 'route', 'del', 'default');
      t.notMatch(nsExec(lab.web1, 'ip', '-6', 'route', 'show'), /default/, 'web1 has no IPv6 default route');
      await d.start({ engineExtra: `fullnat-address ${LADDR6}\n` });
      const svc = `[${VIP6}]:80`;
      d.tsvsadm(['-A', '-t', svc, '-s', 'wrr']);
      d.tsvsadm(['-a', '-t', svc, '-r', `[${RIP1_6}]:80`, '-w', '3', '-F']);
      d.tsvsadm(['-a', '-t', svc, '-r', `[${RIP2_6}]:80`, '-w', '1', '-F']);
      t.match(d.tsvsadm(['-Ln']).stdout, /-> \[2001:db8:99::100\]:80\s+FullNat\s+3\s/, '-Ln shows FullNat');

      const wrr = drive(lab.client, 200, VIP6_URL);
      t.same(Object.fromEntries(wrr), { web1: 150, web2: 50 }, 'every request answered, wrr 3:1 over full NAT');

      const head = nsExec(lab.client, 'curl', '-g', '-si', '-m', '2', VIP6_URL);
      t.match(head, new RegExp(`X-Client-Addr: ${LADDR6}\\r?\\n`, 'i'), 'the real server sees the full-NAT address');
      const neigh = nsExec(lab.web1, 'ip', '-6', 'neigh', 'show', LADDR6);
      t.match(neigh, new RegExp(`lladdr ${macOf(lab.lvs, 'eth1')}`, 'i'), 'web1 resolved the full-NAT address to tsvs');

      // Persistence: the same real servers, rr and -p 60. One client, one server for every request.
      d.tsvsadm(['-E', '-t', svc, '-s', 'rr', '-p', '60', '-M', '64']);
      t.match(d.tsvsadm(['-Ln']).stdout, /TCP {2}\[2001:db8:88::5\]:80 rr persistent 60 mask 64/, '-Ln as ipvsadm');
      const sticky = drive(lab.client, 40, VIP6_URL);
      t.equal(sticky.size, 1, `one real server for all 40 requests (${JSON.stringify(Object.fromEntries(sticky))})`);
      t.equal([...sticky.values()][0], 40);
      const lnc = d.tsvsadm(['-Lnc']).stdout;
      t.match(
        lnc,
        /^TCP\s+\d\d:\d\d\s+(?:NONE|ASSURED)\s+\[2001:db8:88::\]:0\s+\[2001:db8:88::5\]:80\s+\[2001:db8:99::[12]00\]:80$/m,
        '-Lnc lists the template: the client cut to /64, port 0',
      );
    } finally {
      d.stop();
      lab.down();
    }
  });
}
