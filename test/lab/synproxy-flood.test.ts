// The SYN proxy's automatic mode under a real flood: `hping3 -S --flood --rand-source` at the VIP
// for 8 s from a flooder namespace behind the client (lab/flood.ts), the service in its default
// mode (auto). The proxy engages by itself once the flood's embryonic entries pass the threshold;
// then every curl from the client completes, a keep-alive connection opened before the flood
// keeps answering during and after it, and the proxy disengages once the flood is over
// (test/helpers/synproxy-flood-run.ts).
import t from 'tap';
import { LabDaemon } from '../../lab/lab-daemon.ts';
import { delNetns, netnsUnavailable, nsExists, uniqueSuffix } from '../../lab/netns.ts';
import { LabTopology, VIP } from '../../lab/topology.ts';
import { curlOk, hasHping3 } from '../helpers/flood-lab.ts';
import { synproxyFloodRun } from '../helpers/synproxy-flood-run.ts';
import { addFlooder, startFlood } from '../../lab/flood.ts';

const FLOOD_S = 8;

const why = netnsUnavailable() ?? (hasHping3() ? null : 'hping3 is not installed (apt-get install hping3)');
if (why !== null) {
  t.plan(0, `skipped: ${why}`);
} else {
  t.test('during a random-source SYN flood the auto SYN proxy engages and every curl completes', async (t) => {
    const lab = new LabTopology(`spf${uniqueSuffix()}`);
    const flooder = `${lab.prefix}-flood`;
    const d = new LabDaemon(lab);
    try {
      lab.up({ mode: 'tsvs' });
      addFlooder(lab, flooder);
      await d.start();
      d.tsvsadm(['-A', '-t', `${VIP}:80`, '-s', 'rr']);
      d.tsvsadm(['-a', '-t', `${VIP}:80`, '-r', '192.168.99.100:80', '-m']);
      d.tsvsadm(['-a', '-t', `${VIP}:80`, '-r', '192.168.99.200:80', '-m']);
      await synproxyFloodRun(t, lab, d, {
        curl: () => curlOk(lab.client),
        host: VIP,
        flood: () => startFlood(flooder, FLOOD_S),
        tool: 'hping3',
      });
    } finally {
      delNetns(flooder);
      d.stop();
      lab.down();
    }
    t.notOk(nsExists(flooder) || lab.anyLeft(), 'no namespace left');
  });
}
