// ha-demo: `npm run lab -- ha [failback] [--no-sync] [--advert-int S]`, two directors under
// keepalived's VRRP (lab/ha-lab.ts). `ha` builds the pair, shows the VRRP states, drives a bounded
// download and keep-alive load through the VIP and kills the MASTER (kill -9 of its keepalived and
// tsvsd) in the middle; it prints the takeover, the stall, the bytes delivered and the broken
// connections. `ha failback` restarts lvs1 on that lab and shows it take the VIP back (preemption).

import { spawnSync } from 'node:child_process';
import { takeoverPhases } from './ha-timing.ts';
import { HaLab, type DownloadResult, type ProbeResult } from './ha-lab.ts';
import type { HaDirector } from './ha-director.ts';
import { masterDownIntervalMs, priorityOf, type VrrpOptions } from './ha-keepalived.ts';
import { BIG_FILE_BYTES } from './ha-topology.ts';
import { ROOT, say } from './lab-daemon.ts';
import { drive, ratioText } from './traffic.ts';
import { VIP } from './topology.ts';
import { join } from 'node:path';

/** nginx's rate for /big: 200 MB in about 10 s, so the download spans the failover. */
const BIG_RATE = 20 * 1024 * 1024;
const LOAD_SECONDS = 12;
const KILL_AFTER_MS = 3000;
/** Failback: lvs1's tsvsd start and keepalived's preempt_delay fall inside the load. */
const FAILBACK_SECONDS = 20;

export interface HaDemoOptions {
  readonly sync: boolean;
  readonly vrrp: VrrpOptions;
}

/** keepalived is Debian's package, installed on first use (ensure-setup's `ha` mode). */
export function ensureKeepalived(): void {
  const has = (): boolean => spawnSync('sh', ['-c', 'command -v keepalived'], { stdio: 'ignore' }).status === 0;
  if (!has()) spawnSync(process.execPath, [join(ROOT, 'src', 'bin', 'ensure-setup.mjs'), 'ha'], { stdio: 'inherit' });
  if (!has()) throw new Error('keepalived is missing and could not be installed (Debian: apt-get install keepalived)');
}

function showState(d: HaDirector): void {
  say(`$ tsvsadm --vrrp-state   (on ${d.name}, keepalived priority ${priorityOf(d.name)})`);
  const r = d.tsvsadm(['--vrrp-state']);
  process.stdout.write(r.status === 0 ? r.stdout : `  tsvsd does not answer: ${(r.stderr || r.stdout).trim()}\n`);
}

/** The probe and the download, with `during` run KILL_AFTER_MS into them. */
export async function loadAround(
  lab: HaLab,
  seconds: number,
  during: () => Promise<number>,
): Promise<{ probe: ProbeResult; dl: DownloadResult; eventMs: number }> {
  const probeP = lab.probe(8, seconds, 10_000);
  const dlP = lab.download();
  await new Promise((r) => setTimeout(r, KILL_AFTER_MS));
  const eventMs = await during();
  return { probe: await probeP, dl: await dlP, eventMs };
}

/** What the client saw: the stall, the bytes, the connections that broke and those that survived. */
export function report(lab: HaLab, r: { probe: ProbeResult; dl: DownloadResult; eventMs: number }): void {
  const before = r.probe.conns.filter((c) => c.openedMs < r.eventMs);
  const survived = before.filter((c) => c.lastOkMs > r.eventMs);
  const broken = r.probe.conns.filter((c) => c.broken !== null);
  const brokeBefore = before.filter((c) => c.broken !== null);
  const dlOk = r.dl.bytes === BIG_FILE_BYTES && r.dl.sha256 === lab.topo.bigSha256();
  say(
    `  stall: new connections got no answer for ${r.probe.stallMs} ms, a new one every 20 ms (${r.probe.freshFailed} attempts failed)`,
  );
  say(
    `  download: ${r.dl.bytes} of ${BIG_FILE_BYTES} bytes in ${r.dl.seconds} s, ${dlOk ? 'sha256 matches' : `BROKEN (curl exit ${r.dl.curlExit})`}`,
  );
  say(
    `  keep-alive connections opened before the event: ${before.length}, answered after it: ${survived.length}, broken: ${brokeBefore.length}`,
  );
  const reasons = [...new Set(broken.map((c) => c.broken))].join('; ');
  say(
    `  broken connections in all: ${broken.length + (dlOk ? 0 : 1)}${reasons !== '' ? ` (${reasons}${dlOk ? '' : '; the download'})` : dlOk ? '' : ' (the download)'}`,
  );
  if (survived.length > 0)
    say(
      `  the surviving keep-alive connections waited up to ${r.probe.keepAliveGapMs} ms for an answer (their retransmissions back off)`,
    );
}

function syncLine(lab: HaLab): void {
  if (lab.sync.running)
    say(
      'Connection sync: lvs1 runs the master sync daemon, lvs2 the backup one (switched by the notify script, see -L --daemon).',
    );
  else
    say(
      `Connection sync: NOT running (${lab.sync.why}).\n  The lab goes on without it: connections open at the failover will break.`,
    );
}

export async function haDemo(prefix: string, o: HaDemoOptions): Promise<void> {
  say('== tsvs: two directors, keepalived VRRP, failover ==\n');
  ensureKeepalived();
  const lab = new HaLab(prefix);
  await lab.up({ sync: o.sync, vrrp: o.vrrp, bigRateBytes: BIG_RATE });
  const v =
    o.vrrp.version === 3
      ? `VRRPv3, advert_int ${o.vrrp.advertInt ?? 1}`
      : `VRRPv2, advert_int ${o.vrrp.advertInt ?? 1}`;
  say(`Lab up: ${lab.topo.namespaces.join(', ')}; keepalived (${v}) and tsvsd on both directors.`);
  say(`State files: ${lab.topo.stateDir}/lvs{1,2}/ (keepalived.conf, notify.sh, notify.log, tsvsd.log, tsvsadm)\n`);
  for (const d of lab.directors) showState(d);
  syncLine(lab);
  say(`\n10 requests through the VIP ${VIP}: ${ratioText(drive(lab.topo.client, 10))}`);

  say(
    `\nLoad for ${LOAD_SECONDS} s: a 200 MB download (nginx limit_rate 20 MB/s), 8 keep-alive connections (a request every 20 ms), and a new connection every 20 ms.`,
  );
  const r = await loadAround(lab, LOAD_SECONDS, async () => {
    const pids = lab.lvs1.crash();
    const at = Date.now();
    say(
      `After ${KILL_AFTER_MS / 1000} s: kill -9 ${pids.join(' ')} (lvs1's keepalived and tsvsd): the MASTER is gone.`,
    );
    await lab.waitState(lab.lvs2, 'MASTER', 30_000);
    const ph = takeoverPhases(lab.lvs2, at, 0);
    const downMs = masterDownIntervalMs(priorityOf('lvs2'), o.vrrp.advertInt ?? 1, o.vrrp.version ?? 2);
    const advertMs = (o.vrrp.advertInt ?? 1) * 1000;
    say(
      `lvs2's master down interval (priority ${priorityOf('lvs2')}): ${Math.round(downMs)} ms after the last advert it heard, so ${Math.round(downMs - advertMs)}-${Math.round(downMs)} ms after the kill.`,
    );
    say(
      `lvs2's keepalived went MASTER ${ph.keepalivedMs} ms after the kill (the master down interval); its tsvsd read it from the notify FIFO and answered for the VIP (gratuitous ARPs sent) ${ph.tsvsdMs} ms after the kill.`,
    );
    return at;
  });
  say('\nWhat the client saw:');
  report(lab, r);
  say('');
  for (const d of lab.directors) showState(d);
  say(
    `\nThe lab stays up. \`npm run lab -- ha failback\` restarts lvs1: it preempts lvs2 (priority ${priorityOf('lvs1')} > ${priorityOf('lvs2')}).`,
  );
  say(`  ${lab.lvs2.tsvsadmPath} -Lnc       lvs2's connection table`);
  say('  npm run lab -- down                 remove everything');
  say('Exercises: lab/README.md, "High availability: keepalived and VRRP".');
}

export async function haFailback(prefix: string, o: HaDemoOptions): Promise<void> {
  const lab = new HaLab(prefix);
  if (lab.lvs2.vrrpState() !== 'MASTER' || lab.lvs2.tsvsdPid() === null) {
    throw new Error('run `npm run lab -- ha` first: failback needs the lab after its failover (lvs2 MASTER)');
  }
  say('== failback: lvs1 returns and preempts lvs2 ==\n');
  const r = await loadAround(lab, FAILBACK_SECONDS, async () => {
    lab.lvs1.resetNotifies();
    await lab.lvs1.startTsvsd(lab.configPath);
    if (o.sync) lab.lvs1.tsvsadm(['--start-daemon', 'backup', '--mcast-interface', 'eth1', '--syncid', '51']);
    lab.lvs1.startKeepalived(o.vrrp);
    const at = Date.now();
    say(
      `tsvsd and keepalived restarted on lvs1 (priority ${priorityOf('lvs1')}, preempt_delay ${o.vrrp.preemptDelaySec ?? 0} s).`,
    );
    await lab.waitState(lab.lvs1, 'MASTER', 60_000);
    const tookOverMs = lab.lvs1.notifies().at(-1)!.atMs;
    await lab.waitState(lab.lvs2, 'BACKUP', 30_000);
    say(`lvs1 MASTER again ${tookOverMs - at} ms after keepalived started; lvs2 went ${lab.lvs2.vrrpState()}.`);
    return tookOverMs;
  });
  say('\nWhat the client saw:');
  report(lab, r);
  say('');
  for (const d of lab.directors) showState(d);
}
