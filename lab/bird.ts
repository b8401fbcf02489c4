// bird: BIRD 2 (Debian's bird2) for the ECMP lab. Each director's BIRD announces the VIP over
// eBGP to the router's BIRD, which merges the equal paths into one multipath kernel route
// (`merge paths on` in its kernel protocol). Every daemon runs inside a lab namespace, binds its
// BGP socket to its lab address only (`strict bind`), and has its own control socket and pid
// file in the lab's state directory.
//
// Why BIRD 2: one small daemon (bird + birdc, ~2 MB), a config that says exactly what is
// announced, and `birdc enable|disable <protocol>` to withdraw or announce a route at once, which
// is what the VIP announcer needs. FRR is a suite of daemons (zebra, bgpd, staticd, watchfrr)
// meant to own a whole router; ExaBGP and GoBGP would need a separate program to install the
// router's routes into the kernel.

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive, nsExec, tryKill } from './netns.ts';

export const ROUTER_AS = 65000;
export const DIRECTOR_AS = 65001;
/** The director's static protocol holding the VIP routes; disabled = withdrawn. */
export const VIP_PROTOCOL = 'vip';

/** Why BIRD cannot run here, or null. */
export function birdUnavailable(): string | null {
  for (const c of ['bird', 'birdc']) {
    if (spawnSync('sh', ['-c', `command -v ${c}`], { stdio: 'ignore' }).status !== 0)
      return `${c} is missing (Debian: apt-get install bird2)`;
  }
  return null;
}

/** BGP timers kept short for the lab: a dead BGP peer is noticed in 3 s (the VIP announcer is faster). */
const TIMERS = 'hold time 3; keepalive time 1; connect retry time 1; connect delay time 1; error wait time 1, 5;';

/** A director's BIRD: the VIPs as blackhole statics (the router needs only the next hop), exported to the router. */
export function directorBirdConf(logFile: string, addr: string, routerAddr: string, vips: readonly string[]): string {
  return `# BIRD 2 on an ECMP director (written by lab/bird.ts)
router id ${addr};
log "${logFile}" all;
protocol device { scan time 10; }
# The VIPs this director serves. tsvsd owns them in userspace; the kernel gets no route
# (no kernel protocol): the static routes exist only to be announced. Disabled until the VIP
# announcer (tsvsadm --announce) has seen tsvsd answer with a real server to send to.
protocol static ${VIP_PROTOCOL} {
  disabled yes;
  ipv4;
${vips.map((v) => `  route ${v}/32 blackhole;`).join('\n')}
}
protocol bgp uplink {
  local ${addr} as ${DIRECTOR_AS};
  neighbor ${routerAddr} as ${ROUTER_AS};
  strict bind yes;
  ${TIMERS}
  ipv4 { import none; export where proto = "${VIP_PROTOCOL}"; next hop self; };
}
`;
}

/**
 * The router's BIRD: one eBGP session per director; equal paths merged into one ECMP route, in
 * the main table, or in `table` for resilient-nexthops.ts to turn into a resilient group.
 */
export function routerBirdConf(
  logFile: string,
  addr: string,
  directors: readonly string[],
  table: number | null = null,
): string {
  return `# BIRD 2 on the ECMP router (written by lab/bird.ts)
router id ${addr};
log "${logFile}" all;
protocol device { scan time 10; }
protocol kernel {
${table === null ? '' : `  # resilient-nexthops.ts builds a resilient next-hop group in main from this table's routes.\n  kernel table ${table};\n`}  ipv4 { import none; export all; };
  # Equal BGP paths to the VIP become one route with a next hop per director.
  merge paths on limit 16;
}
template bgp director {
  local ${addr} as ${ROUTER_AS};
  strict bind yes;
  ${TIMERS}
  ipv4 { import all; export none; };
}
${directors.map((d, i) => `protocol bgp lvs${i + 1} from director { neighbor ${d} as ${DIRECTOR_AS}; }`).join('\n')}
`;
}

export class Bird {
  readonly conf: string;
  readonly ctl: string;
  readonly pidFile: string;
  readonly logFile: string;

  constructor(
    readonly ns: string,
    dir: string,
  ) {
    this.conf = join(dir, 'bird.conf');
    this.ctl = join(dir, 'bird.ctl');
    this.pidFile = join(dir, 'bird.pid');
    this.logFile = join(dir, 'bird.log');
  }

  /** Write the config and start bird in the namespace (it daemonizes and writes its pid file). */
  start(conf: string): number {
    writeFileSync(this.conf, conf);
    nsExec(this.ns, 'bird', '-c', this.conf, '-s', this.ctl, '-P', this.pidFile);
    for (let i = 0; i < 100; i++) {
      const pid = this.pid();
      if (pid !== null && this.birdc('show status').ok) return pid;
      spawnSync('sleep', ['0.05']);
    }
    throw new Error(`bird did not start in ${this.ns}; its log (${this.logFile}):\n${this.log()}`);
  }

  pid(): number | null {
    if (!existsSync(this.pidFile)) return null;
    const pid = Number(readFileSync(this.pidFile, 'utf8').trim());
    return pid > 0 && isAlive(pid) ? pid : null;
  }

  stop(): void {
    const pid = this.pid();
    if (pid === null) return;
    tryKill(pid, 'SIGTERM');
    for (let i = 0; i < 40 && isAlive(pid); i++) spawnSync('sleep', ['0.05']);
    if (isAlive(pid)) tryKill(pid, 'SIGKILL');
  }

  /** birdc on this daemon's control socket (the socket is a file: no namespace needed). */
  birdc(cmd: string): { ok: boolean; out: string } {
    const r = spawnSync('birdc', ['-s', this.ctl, ...cmd.split(' ')], { encoding: 'utf8', timeout: 5000 });
    return {
      ok: r.status === 0 && !/^\d{4}-?\s*(Syntax error|.*not found)/m.test(r.stdout ?? ''),
      out: r.stdout ?? '',
    };
  }

  /** Names of the BGP protocols in state Established. */
  established(): string[] {
    return this.birdc('show protocols')
      .out.split('\n')
      .filter((l) => /\sBGP\s/.test(l) && /Established/.test(l))
      .map((l) => l.split(/\s+/)[0]!);
  }

  log(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : '';
  }
}
