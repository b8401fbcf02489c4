// IPv6 connections that outlive tsvsd, in the lab's dual-stack namespaces: a keep-alive HTTP
// connection through [VIP6]:80 to NAT66 (-m) real servers and one through [VIP6]:81 to full-NAT
// (-F) real servers, with an IPv6 full-NAT address, both carry their next request on the same
// socket after `kill -9` and a start, and after a `tsvsd --takeover`. The IPv6 table's state file
// (`tsvsd.conn-state6` beside the IPv4 one) is what carries them (src/daemon/restore-state6.ts).
import t from 'tap';
import { LabDaemon } from '../../lab/lab-daemon.ts';
import { RIP1_6, RIP2_6, VIP6 } from '../../lab/ipv6.ts';
import { netnsUnavailable, stopChild, uniqueSuffix } from '../../lab/netns.ts';
import { LabTopology } from '../../lab/topology.ts';
import { tryLoadNative, nativeLoadError } from '../../src/io/native-binding.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { startKeepAlive, type Lines } from './fixtures/restart-traffic.ts';

/** The IPv6 full-NAT address: tsvs-owned, in the DIP6's prefix (as test/lab/fnat66.test.ts). */
const LADDR6 = '2001:db8:99::6';

interface Restored {
  connections: number;
  torn: number;
  noService: number;
  noDest: number;
  noLocalPort: number;
}
interface StateStats {
  stateFile: { path6: string | null; fresh6: string; restored6: Restored | null; handedOverBy?: number | null };
}

const why = netnsUnavailable();
if (why !== null) {
  t.plan(0, `skipped: ${why}`);
} else if (tryLoadNative() === null) {
  t.plan(0, `skipped: the state file needs the native addon: ${nativeLoadError() ?? ''}`);
} else {
  t.test('NAT66 and FNAT66 keep-alive connections survive kill -9 and a takeover', async (t) => {
    const lab = new LabTopology(`r6${uniqueSuffix()}`);
    const d = new LabDaemon(lab);
    const kids: Lines[] = [];
    try {
      lab.up({ mode: 'tsvs', ipv6: true });
      await d.start({ engineExtra: `fullnat-address ${LADDR6}\n` });
      for (const [port, fwd] of [
        [80, '-m'],
        [81, '-F'],
      ] as const) {
        const svc = `[${VIP6}]:${port}`;
        d.tsvsadm(['-A', '-t', svc, '-s', 'rr']);
        d.tsvsadm(['-a', '-t', svc, '-r', `[${RIP1_6}]:80`, fwd]);
        d.tsvsadm(['-a', '-t', svc, '-r', `[${RIP2_6}]:80`, fwd]);
      }
      const first = await d.request('engine.stats');
      t.match((first as StateStats).stateFile.path6, /tsvsd\.conn-state6$/, 'the IPv6 table has its state file');

      const nat = startKeepAlive(lab.client, VIP6, 80);
      const fnat = startKeepAlive(lab.client, VIP6, 81);
      kids.push(nat, fnat);
      const port80 = await waitFor('the NAT66 answer', () => nat.last('ok '), { timeoutMs: 30_000 });
      const port81 = await waitFor('the FNAT66 answer', () => fnat.last('ok '), { timeoutMs: 30_000 });
      const lnc = d.tsvsadm(['-Lnc']).stdout;
      t.match(
        lnc,
        /ESTABLISHED\s+\[2001:db8:88::10\]:\d+\s+\[2001:db8:88::5\]:80\s/,
        '-Lnc lists the NAT66 connection',
      );
      t.match(lnc, /ESTABLISHED\s+\[2001:db8:88::10\]:\d+\s+\[2001:db8:88::5\]:81\s/, 'and the FNAT66 one');

      /** One more request on each socket: answered on the same local port, never closed. */
      const answers = async (what: string): Promise<void> => {
        for (const [ka, was, name] of [
          [nat, port80, 'NAT66'],
          [fnat, port81, 'FNAT66'],
        ] as const) {
          const oks = ka.count('ok ');
          ka.send('again');
          await waitFor(
            `the ${name} answer ${what}`,
            () => ka.count('ok ') > oks || ka.last('error') || ka.last('closed'),
            {
              timeoutMs: 30_000,
            },
          );
          t.equal(ka.last('ok '), was, `the ${name} keep-alive connection answers on the same socket ${what}`);
          t.equal(ka.last('closed') ?? ka.last('error'), undefined, `the ${name} connection is still open ${what}`);
        }
      };
      await answers('before any restart');

      const r = await d.restart('SIGKILL');
      t.comment(`after kill -9: tsvsd answered ${(r.ms / 1000).toFixed(2)} s after the SIGKILL`);
      const st = ((await d.request('engine.stats')) as StateStats).stateFile;
      t.equal(st.fresh6, '', 'after kill -9: the IPv6 state file is attached');
      t.equal(st.restored6?.connections, 2, 'after kill -9: both IPv6 connections carried over');
      t.same(
        [st.restored6?.torn, st.restored6?.noService, st.restored6?.noDest, st.restored6?.noLocalPort],
        [0, 0, 0, 0],
        'after kill -9: none dropped',
      );
      await answers('after kill -9');

      const old = d.pid();
      const tk = await d.takeover();
      t.not(tk.pid, old, 'after a takeover: another process forwards');
      const st2 = ((await d.request('engine.stats')) as StateStats).stateFile;
      t.equal(st2.handedOverBy, old, 'after a takeover: the new tsvsd says who handed over');
      t.equal(st2.restored6?.connections, 2, 'after a takeover: both IPv6 connections carried over');
      await answers('after a takeover');
      // The IPv6 neighbours were handed over with the IPv4 ones (REACHABLE for 30 s): the new tsvsd
      // forwarded both connections without one neighbour solicitation.
      const st3 = (await d.request('engine.stats')) as {
        nsRequests: number;
        stateFile: { neighboursHandedOver: number };
      };
      t.ok(st3.stateFile.neighboursHandedOver >= 2, `${st3.stateFile.neighboursHandedOver} neighbours handed over`);
      t.equal(st3.nsRequests, 0, 'after a takeover: no neighbour solicitation');
      t.equal(nat.count('ok '), 4, 'the NAT66 connection answered all four requests');
      t.equal(fnat.count('ok '), 4, 'the FNAT66 connection answered all four requests');
    } finally {
      for (const k of kids) if (k.child.exitCode === null) await stopChild(k.child);
      d.stop();
      lab.down();
    }
  });
}
