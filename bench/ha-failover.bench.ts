// ha-failover bench: how long the VIP is dark when the MASTER director dies, with keepalived's
// VRRPv2 advert_int 1 and with VRRPv3 sub-second adverts (advert_int 0.1), three runs each
// (lab/ha-lab.ts under unique names; the IPVS sync daemons on). Per run: kill -9 of lvs1's
// keepalived and tsvsd by PID while 4 keep-alive connections and a new-connection probe run; the
// time until lvs2 reported MASTER (its notify script ran tsvsadm --vrrp-state master), the stall
// seen by new connections, the longest wait of a keep-alive connection, and the keep-alive
// connections broken. Prints medians, for
// bench/RESULTS-ha.md. Run built, so the notify scripts' tsvsadm is the compiled one:
//
//   npx tsc -p tsconfig.build.json && node dist/bench/ha-failover.bench.js [RUNS]

import { HaLab } from '../lab/ha-lab.ts';
import { netnsUnavailable, uniqueSuffix } from '../lab/netns.ts';
import type { VrrpOptions } from '../lab/ha-keepalived.ts';

interface Run {
  takeoverMs: number;
  stallMs: number;
  keepAliveGapMs: number;
  broken: number;
}

const SETTINGS: { name: string; vrrp: VrrpOptions }[] = [
  { name: 'VRRPv2 advert_int 1', vrrp: { advertInt: 1, version: 2 } },
  { name: 'VRRPv3 advert_int 0.1', vrrp: { advertInt: 0.1, version: 3 } },
];

async function once(vrrp: VrrpOptions): Promise<Run> {
  const lab = new HaLab(`tb${uniqueSuffix()}`);
  try {
    await lab.up({ sync: true, vrrp });
    const probe = lab.probe(4, 10, 20_000);
    await new Promise((r) => setTimeout(r, 3000));
    const killedAt = Date.now();
    lab.lvs1.crash();
    await lab.waitState(lab.lvs2, 'MASTER', 30_000);
    const takeoverMs = lab.lvs2.notifies().at(-1)!.atMs - killedAt;
    const r = await probe;
    return {
      takeoverMs,
      stallMs: r.stallMs,
      keepAliveGapMs: r.keepAliveGapMs,
      broken: r.conns.filter((c) => c.broken !== null && c.openedMs < killedAt).length,
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
  process.stdout.write(
    '| setting | MASTER reported after kill, ms | stall of new connections, ms | longest keep-alive wait, ms | keep-alive broken | runs |\n',
  );
  process.stdout.write('|---|---|---|---|---|---|\n');
  for (const s of SETTINGS) {
    const rs: Run[] = [];
    for (let i = 0; i < runs; i++) rs.push(await once(s.vrrp));
    const col = (k: keyof Run): string => `${median(rs.map((r) => r[k]))} (${rs.map((r) => r[k]).join(', ')})`;
    process.stdout.write(
      `| ${s.name} | ${col('takeoverMs')} | ${col('stallMs')} | ${col('keepAliveGapMs')} | ${col('broken')} | ${runs} |\n`,
    );
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`ha-failover: ${(e as Error).message}\n`);
  process.exit(1);
});
