// peers: the load balancers bench/compare puts on lvs1 one at a time, behind one Peer interface,
// and the kernel's own: none (plain routing to web1) and nftables DNAT (rules ported from
// ../shared/anchors/lb-*.sh). HAProxy and nginx stream live in proxy-peers.ts, tsvs in
// tsvs-peer.ts; plan.ts picks one by name.

import type { LabTopology } from '../../lab/topology.ts';
import { RIP1, RIP2, VIP } from '../../lab/topology.ts';
import { nsMust, nsRun, pidState, sleepMs } from './sys.ts';

export interface Peer {
  readonly name: string;
  /** Host the client sends to: the VIP, or web1 itself for `none`. */
  readonly target: string;
  start(): void;
  /** Stops everything the peer started (by PID) and undoes its settings; safe to call twice. */
  stop(): void;
  /** Why the peer is not healthy any more (its process died), or null. */
  problem(): string | null;
  /** Peer-specific counters recorded after each test (tsvs engine stats). */
  stats?(): Promise<Record<string, unknown>>;
  /** The lab this peer is measured on, when it is not the run's NAT lab (tsvs-dr). */
  readonly lab?: LabTopology;
}

export interface PeerContext {
  readonly lab: LabTopology;
  /** Directory for generated configs, pid files and logs. */
  readonly dir: string;
  /** haproxy nbthread / nginx worker_processes. */
  readonly lbWorkers: number;
}

/** Puts the VIP on lvs1's kernel with ip_forward=1 (what the kernel and proxy peers need). */
export function routedOn(lab: LabTopology): void {
  const have = nsMust(lab.lvs, 'ip', ['-4', '-o', 'addr', 'show', 'dev', 'eth0']);
  if (!have.includes(` ${VIP}/`)) nsMust(lab.lvs, 'ip', ['addr', 'add', `${VIP}/24`, 'dev', 'eth0']);
  nsMust(lab.lvs, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
}

/** Takes the VIP off lvs1's kernel and turns forwarding off (what tsvs needs). */
export function routedOff(lab: LabTopology): void {
  nsRun(lab.lvs, 'ip', ['addr', 'del', `${VIP}/24`, 'dev', 'eth0']);
  nsMust(lab.lvs, 'sysctl', ['-qw', 'net.ipv4.ip_forward=0']);
}

/** Kills one process we started (pid from a pid file): SIGTERM, wait <= 5 s, SIGKILL. */
export function killPid(pid: number, graceMs = 5000): void {
  if (!(pid > 0)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && pidState(pid) !== '' && pidState(pid) !== 'Z') sleepMs(50);
  if (pidState(pid) !== '' && pidState(pid) !== 'Z') {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

/** Waits until something listens on port in ns. */
export function waitListen(ns: string, port: number, timeoutMs = 10_000): void {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (nsRun(ns, 'ss', ['-Htln', `( sport = :${port} )`], 5).stdout.trim() !== '') return;
    sleepMs(50);
  }
  throw new Error(`nothing listens on :${port} in ${ns}`);
}

export class NonePeer implements Peer {
  readonly name = 'none';
  readonly target = RIP1;
  constructor(private readonly ctx: PeerContext) {}
  start(): void {
    routedOn(this.ctx.lab);
  }
  stop(): void {}
  problem(): string | null {
    return null;
  }
}

export class NftPeer implements Peer {
  readonly name = 'nft';
  readonly target = VIP;
  constructor(private readonly ctx: PeerContext) {}
  start(): void {
    routedOn(this.ctx.lab);
    // numgen inc mod 2 = round robin per new connection; no SNAT: the webs reply via lvs1.
    const rules = `table ip lvs {
    chain prerouting {
        type nat hook prerouting priority dstnat; policy accept;
        ip daddr ${VIP} tcp dport 80 dnat to numgen inc mod 2 map { 0 : ${RIP1}, 1 : ${RIP2} }
        ip daddr ${VIP} tcp dport 5201 dnat to ${RIP1}
    }
}
`;
    nsMust(this.ctx.lab.lvs, 'nft', ['-f', '-'], 10, rules);
  }
  stop(): void {
    nsRun(this.ctx.lab.lvs, 'nft', ['delete', 'table', 'ip', 'lvs']);
    nsRun(this.ctx.lab.lvs, 'conntrack', ['-F']);
  }
  problem(): string | null {
    return nsRun(this.ctx.lab.lvs, 'nft', ['list', 'table', 'ip', 'lvs']).status === 0
      ? null
      : 'nft table ip lvs is gone';
  }
}
