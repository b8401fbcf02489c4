// The SYN proxy's automatic mode under a real IPv6 flood: THC's `thcsyn6 -r` (random sources in
// the flooder's /64, lab/flood6.ts) at [VIP6]:80 for 8 s from a flooder namespace behind the
// client, the IPv6 service in its default mode (auto), the lab dual-stack. As with hping3 over
// IPv4 (synproxy-flood.test.ts, the same checks in test/helpers/synproxy-flood-run.ts): the proxy
// engages by itself, every curl over IPv6 completes, a keep-alive connection opened before the
// flood answers during and after it, and the proxy disengages after.
import t from 'tap';
import { LabDaemon } from '../../lab/lab-daemon.ts';
import { addFlooder } from '../../lab/flood.ts';
import { addFlooder6, startFlood6, thcsyn6Missing } from '../../lab/flood6.ts';
import { RIP1_6, RIP2_6, VIP6, VIP6_URL } from '../../lab/ipv6.ts';
import { delNetns, netnsUnavailable, nsExists, uniqueSuffix } from '../../lab/netns.ts';
import { LabTopology } from '../../lab/topology.ts';
import { curlOk } from '../helpers/flood-lab.ts';
import { synproxyFloodRun } from '../helpers/synproxy-flood-run.ts';

const FLOOD_S = 8;

const why = netnsUnavailable() ?? thcsyn6Missing();
if (why !== null) {
  t.plan(0, `skipped: ${why}`);
} else {
  t.test('during a random-source IPv6 SYN flood the auto SYN proxy engages and every curl completes', async (t) => {
    const lab = new LabTopology(`sp6f${uniqueSuffix()}`);
    const flooder = `${lab.prefix}-flood`;
    const d = new LabDaemon(lab);
    const svc = `[${VIP6}]:80`;
    try {
      lab.up({ mode: 'tsvs', ipv6: true });
      addFlooder(lab, flooder);
      addFlooder6(lab, flooder);
      await d.start();
      d.tsvsadm(['-A', '-t', svc, '-s', 'rr']);
      d.tsvsadm(['-a', '-t', svc, '-r', `[${RIP1_6}]:80`, '-m']);
      d.tsvsadm(['-a', '-t', svc, '-r', `[${RIP2_6}]:80`, '-m']);
      await synproxyFloodRun(t, lab, d, {
        curl: () => curlOk(lab.client, [], VIP6_URL),
        host: VIP6,
        flood: () => startFlood6(lab, flooder, FLOOD_S),
        tool: 'thcsyn6',
      });
    } finally {
      delNetns(flooder);
      d.stop();
      lab.down();
    }
    t.notOk(nsExists(flooder) || lab.anyLeft(), 'no namespace left');
  });
}
