// ha-failover bench: how long the VIP is dark when the MASTER director dies, with keepalived's
// VRRPv2 advert_int 1 and with VRRPv3 sub-second adverts (advert_int 0.1), three runs each
// (lab/ha-lab.ts under unique names; the IPVS sync daemons on). Per run: kill -9 of lvs1's
// keepalived and tsvsd by PID while 4 keep-alive connections and a new-connection probe run, and
// as soon as lvs2 lists two keep-alive connections opened just before; the phases of the takeover
// from the lab's logs (lab/ha-timing.ts: keepalived's MASTER, tsvsd taking the VIP), the stall
// seen by new connections, the longest wait of a keep-alive connection, the keep-alive
// connections broken, the sync latency and whether the young connections survived. Prints
// medians, for bench/RESULTS-ha.md. Run built, so tsvsd and tsvsadm are the compiled ones:
//
//   npx tsc -p tsconfig.build.json && node dist/bench/ha-failover.bench.js [RUNS]

import { HaLab } from '../lab/ha-lab.ts';
import { netnsUnavailable, uniqueSuffix } from '../lab/netns.ts';
import type { VrrpOptions } from '../lab/ha-keepalived.ts';
import { takeoverPhases, watchSync } from '../lab/ha-timing.ts';

interface Run {
  takeoverMs: number;
  keepalivedMs: number;
  tsvsdAfterKeepalivedMs: number;
  stallMs: number;
  keepAliveGapMs: number;
  broken: number;
  syncLatencyMs: number;
  youngAgeMs: number;
  youngBroken: number;
}

const SETTINGS: { name: string; vrrp: VrrpOptions }[] = [
  { name: 'VRRPv2 advert_int 1', vrrp: { advertInt: 1, version: 2 } },
  { name: 'VRRPv3 advert_int 0.1', vrrp: { advertInt: 0.1, version: 3 } },
];

async function once(vrrp: VrrpOptions): Promise<Run> {
  const lab = new HaLab(`tb${uniqueSuffix()}`);
  try {
    await lab.up({ sync: true, vrrp });
    const probe = lab.probe(4, 14, 20_000);
    await new Promise((r) => setTimeout(r, 3000));
    // Two more keep-alive connections, opened just before the kill: lvs1 is killed as soon as
    // lvs2 lists them, so they are as young as the sync latency allows.
    const young = lab.probe(2, 11, 20_000);
    const seen = await watchSync(lab.lvs1, lab.lvs2, 2, 20_000);
    const killedAt = Date.now();
    lab.lvs1.crash();
    await lab.waitState(lab.lvs2, 'MASTER', 30_000);
    const [r, y] = await Promise.all([probe, young]);
    const ph = takeoverPhases(lab.lvs2, killedAt, r.stallEndMs);
    const youngConns = y.conns.filter((c) => c.openedMs < killedAt);
    return {
      takeoverMs: ph.tsvsdMs,
      keepalivedMs: ph.keepalivedMs,
      tsvsdAfterKeepalivedMs: ph.tsvsdMs - ph.keepalivedMs,
      stallMs: r.stallMs,
      keepAliveGapMs: r.keepAliveGapMs,
      broken: r.conns.filter((c) => c.broken !== null && c.openedMs < killedAt).length,
      syncLatencyMs: Math.max(...seen.map((s) => (s.backupMs > 0 ? s.backupMs - s.masterMs : Infinity))),
      youngAgeMs: Math.min(...youngConns.map((c) => killedAt - c.openedMs)),
      youngBroken: youngConns.filter((c) => c.broken !== null).length,
    };
  } finally {
    lab.down();
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function main(): Promise<void> {
  const why = netnsUnavailable();
  if (why !== null) throw new Error(why);
  const runs = Number(process.argv[2] ?? 3);
  const cols: [keyof Run, string][] = [
    ['keepalivedMs', 'keepalived MASTER after kill, ms'],
    ['tsvsdAfterKeepalivedMs', 'tsvsd took the VIP after keepalived, ms'],
    ['takeoverMs', 'tsvsd took the VIP after kill, ms'],
    ['stallMs', 'stall of new connections, ms'],
    ['keepAliveGapMs', 'longest keep-alive wait, ms'],
    ['broken', 'keep-alive broken'],
    ['syncLatencyMs', 'sync latency (lvs1 lists -> lvs2 lists), ms'],
    ['youngAgeMs', 'age of the youngest connection at the kill, ms'],
    ['youngBroken', 'young connections broken (of 2)'],
  ];
  process.stdout.write(`| setting | ${cols.map((c) => c[1]).join(' | ')} | runs |\n`);
  process.stdout.write(`|---|${cols.map(() => '---|').join('')}---|\n`);
  for (const s of SETTINGS) {
    const rs: Run[] = [];
    for (let i = 0; i < runs; i++) rs.push(await once(s.vrrp));
    const col = (k: keyof Run): string => `${median(rs.map((r) => r[k]))} (${rs.map((r) => r[k]).join(', ')})`;
    process.stdout.write(`| ${s.name} | ${cols.map((c) => col(c[0])).join(' | ')} | ${runs} |\n`);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`ha-failover: ${(e as Error).message}\n`);
  process.exit(1);
});
