// Two directors under the real keepalived's VRRP (lab/ha-lab.ts): keepalived elects lvs1, traffic
// crosses the VIP through it, kill -9 of lvs1's keepalived and tsvsd makes lvs2 MASTER (as its
// notify script saw it), new connections succeed through lvs2, and with the IPVS sync daemons a
// keep-alive connection opened through lvs1 keeps working through lvs2, also one that lvs1 had
// listed only 500 ms before it died; a `tsvsd --takeover` on the new MASTER keeps it MASTER (the
// state is handed over: keepalived says nothing). Behaviour only, no timed assertion on the failover itself;
// about 100 s on a loaded 2-core box (tsvsd and tsvsadm run from source through tsx).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { HaLab } from '../../lab/ha-lab.ts';
import { ROOT } from '../../lab/lab-daemon.ts';
import { listNetns, netnsUnavailable, uniqueSuffix } from '../../lab/netns.ts';
import { drive } from '../../lab/traffic.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { watchSync } from '../../lab/ha-timing.ts';

/**
 * Age at the kill (since lvs1 first listed them) of the young connections that must survive: the
 * 20 ms flush with margin for a loaded box; the kernel's 2 s flush, checked every second, would
 * lose them.
 */
const YOUNG_MS = 500;

/** keepalived is installed on first use, as `npm run lab -- ha` does (ensure-setup's ha mode). */
function keepalivedMissing(): string | null {
  const has = (): boolean => spawnSync('sh', ['-c', 'command -v keepalived'], { stdio: 'ignore' }).status === 0;
  if (!has()) spawnSync(process.execPath, [join(ROOT, 'src', 'bin', 'ensure-setup.mjs'), 'ha'], { stdio: 'ignore' });
  return has() ? null : 'keepalived is missing and could not be installed (apt-get install keepalived)';
}

const why = netnsUnavailable() ?? keepalivedMissing();
if (why !== null) {
  t.plan(0, `skipped: ${why}`);
} else {
  t.test('keepalived fails the VIP over from a killed lvs1 to lvs2; synced connections survive', async (t) => {
    const lab = new HaLab(`th${uniqueSuffix()}`);
    try {
      await lab.up({ sync: true });
      t.ok(lab.sync.running, `the sync daemons run on both directors ${lab.sync.why}`);
      t.equal(lab.lvs1.vrrpState(), 'MASTER', 'keepalived elects lvs1 (priority 254 against 253)');
      t.equal(lab.lvs2.vrrpState(), 'BACKUP');
      t.match(
        lab.lvs1.tsvsadm(['--vrrp-state']).stdout,
        /^VRRP state MASTER .*\nowned addresses 192\.168\.88\.5: answered/,
      );
      t.match(
        lab.lvs2.tsvsadm(['--vrrp-state']).stdout,
        /^VRRP state BACKUP .*\nowned addresses 192\.168\.88\.5: held silent/,
      );
      const before = drive(lab.topo.client, 6);
      t.equal((before.get('web1') ?? 0) + (before.get('web2') ?? 0), 6, 'all requests answered through lvs1');
      t.match(lab.lvs1.tsvsadm(['-Ln', '--stats']).stdout, /192\.168\.88\.5:80\s+[1-9]/, 'lvs1 carried them');

      // The keep-alive probe runs across the failover; its connections open through lvs1. 30 s: the
      // kill comes after the sync waits below (tens of seconds of tsvsadm starts on a loaded box),
      // and the takeover plus TCP back-off take another 3-4 s.
      const probe = lab.probe(4, 30, 20_000);
      await waitFor(
        'the probe connections synced to lvs2',
        () => (lab.lvs2.tsvsadm(['-Lnc']).stdout.match(/ESTABLISHED/g) ?? []).length >= 4,
        { timeoutMs: 20_000 },
      );
      // Two more, opened just before the kill: lvs1 dies YOUNG_MS after it first lists them,
      // without waiting for lvs2 (a sync message that waits 2 s for more entries, as the kernel's
      // does, would lose them).
      const young = lab.probe(2, 14, 20_000);
      const seen = await watchSync(lab.lvs1, lab.lvs2, 2, 20_000, 'master');
      t.equal(seen.length, 2, 'lvs1 lists the two young connections');
      const firstMs = Math.min(...seen.map((s) => s.masterMs));
      await new Promise((r) => setTimeout(r, Math.max(0, firstMs + YOUNG_MS - Date.now())));
      const killedAt = Date.now();
      const pids = lab.lvs1.crash();
      t.ok(pids.length >= 2, `kill -9 of lvs1's keepalived and tsvsd (${pids.join(' ')})`);
      await lab.waitState(lab.lvs2, 'MASTER', 30_000);
      t.pass("lvs2 becomes MASTER (its notify script ran on keepalived's notification)");
      t.match(lab.lvs2.tsvsadm(['--vrrp-state']).stdout, /^VRRP state MASTER .*was BACKUP/);

      const after = await waitFor(
        'a new connection through lvs2',
        () => {
          const c = drive(lab.topo.client, 1);
          return (c.get('web1') ?? 0) + (c.get('web2') ?? 0) === 1 ? c : null;
        },
        { timeoutMs: 30_000 },
      );
      t.ok(after, 'new connections succeed through lvs2');
      t.match(lab.lvs2.tsvsadm(['-Ln', '--stats']).stdout, /192\.168\.88\.5:80\s+[1-9]/, 'lvs2 carries them');

      const y = await young;
      const youngConns = y.conns.filter((c) => c.openedMs < killedAt);
      t.equal(youngConns.length, 2, 'the young connections opened before the kill');
      t.same(
        youngConns.map((c) => c.broken),
        [null, null],
        `connections established ${YOUNG_MS} ms before the master died survive (synced within the flush time)`,
      );
      const r = await probe;
      const opened = r.conns.filter((c) => c.openedMs < killedAt);
      t.ok(opened.length >= 4, 'keep-alive connections opened through lvs1 before the kill');
      t.same(
        opened.filter((c) => c.broken !== null).map((c) => c.broken),
        [],
        'none of them broke',
      );
      t.ok(
        opened.every((c) => c.lastOkMs > killedAt),
        'every one of them was answered again after the failover, through lvs2',
      );

      // tsvsd --takeover on the MASTER: keepalived's state does not change, so it writes nothing to
      // the FIFO, and the shared config says `vrrp-state backup`: only the handover can tell the
      // new tsvsd that it is MASTER.
      const oldPid = lab.lvs2.tsvsdPid();
      const newPid = await lab.lvs2.takeover(lab.configPath);
      t.not(newPid, oldPid, `tsvsd ${newPid} took over from ${oldPid ?? '?'} on lvs2`);
      t.match(
        lab.lvs2.tsvsadm(['--vrrp-state']).stdout,
        /^VRRP state MASTER .*\nowned addresses 192\.168\.88\.5: answered/,
        'the new tsvsd is MASTER from the handover, without a notify',
      );
      t.match(lab.lvs2.log('tsvsd.log'), /vrrp state MASTER carried over from the handing-over tsvsd/);
      const through = drive(lab.topo.client, 4);
      t.equal(
        (through.get('web1') ?? 0) + (through.get('web2') ?? 0),
        4,
        'new connections through the VIP are answered by the new tsvsd',
      );
    } finally {
      lab.down();
      t.same(
        listNetns().filter((n) => n.startsWith(lab.topo.prefix)),
        [],
        'namespaces removed',
      );
    }
  });
}
