// EcmpTopology: N LVS-DR directors behind one router that spreads the VIP's flows over them with
// ECMP, the way Maglev, Katran and GLB scale out. Each director runs tsvsd (DR, mh), BIRD and the
// VIP announcer (`tsvsadm --announce`); the router's BIRD learns the VIP from every director over
// eBGP and installs one route with a next hop per director; the router's kernel picks the next
// hop per flow with an L4 hash (fib_multipath_hash_policy=1: addresses, protocol and ports).
//
//   client  eth0 192.168.88.10/29, default via 192.168.88.9
//     | veth
//   router  eth0 192.168.88.9/29, eth1 192.168.99.1/24, ip_forward=1, BIRD AS 65000
//           192.168.88.5 proto bird: nexthop via .11, nexthop via .12, nexthop via .13
//     | veth
//   sw99    bridge br0: the segment 192.168.99.0/24
//     | veth ...                                   | veth              | veth
//   lvs1..lvsN  eth0 192.168.99.11..1N             web1 .100           web2 .200
//               tsvsd owns VIP 192.168.88.5        lo 192.168.88.5/32, arp_ignore=1, arp_announce=2
//               BIRD AS 65001 announces it         default via 192.168.99.1 (the router)
//
// The router reaches a director by its own address (the BGP next hop), so the directors never
// compete for the VIP on the segment; the real servers answer the client through the router (DR),
// or answer the director's own full NAT address 192.168.99.2k on the segment (full NAT).
// With `resilient`, the router's BIRD writes the route to table RESILIENT_TABLE and
// resilient-nexthops.ts installs it in main as a resilient next-hop group.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { addNetns, addVeth, delNetns, ip, nsExec, nsExists } from './netns.ts';
import { CIP, RIP1, RIP2, VIP, LabTopology, type LabOptions } from './topology.ts';
import { Bird, directorBirdConf, routerBirdConf } from './bird.ts';
import { DEFAULT_POLICY, Director, type DirectorPolicy } from './ecmp-director.ts';
import { RESILIENT_TABLE, ResilientWatcher } from './resilient-watcher.ts';
import { ROUTER_CLIENT_SIDE, ROUTER_SEGMENT_SIDE } from './dr-topology.ts';

export const DEFAULT_DIRECTORS = 3;
export const MAX_DIRECTORS = 8;

interface Saved {
  n: number;
  policy: DirectorPolicy;
  resilient: boolean;
}

export class EcmpTopology extends LabTopology {
  readonly router: string;
  readonly routerBird: Bird;
  readonly watcher: ResilientWatcher;
  directors: Director[] = [];
  policy: DirectorPolicy;
  /** The router installs the VIP's route as a resilient next-hop group (else hash-threshold multipath). */
  resilient: boolean;

  constructor(prefix = 'tsvs') {
    super(prefix);
    this.router = `${prefix}-router`;
    this.routerBird = new Bird(this.router, join(this.stateDir, 'router'));
    this.watcher = new ResilientWatcher(this.router, join(this.stateDir, 'router'));
    const saved = this.saved();
    this.policy = saved.policy;
    this.resilient = saved.resilient;
    for (let k = 1; k <= saved.n; k++) this.directors.push(new Director(prefix, k, this.stateDir, this.policy));
  }

  private get stateFile(): string {
    return join(this.stateDir, 'ecmp.json');
  }

  private saved(): Saved {
    const none: Saved = { n: 0, policy: DEFAULT_POLICY, resilient: false };
    try {
      const j = JSON.parse(readFileSync(this.stateFile, 'utf8')) as Saved;
      return j.n > 0 && j.n <= MAX_DIRECTORS ? { ...j, resilient: j.resilient === true } : none;
    } catch {
      return none;
    }
  }

  private save(): void {
    const saved: Saved = { n: this.directors.length, policy: this.policy, resilient: this.resilient };
    writeFileSync(this.stateFile, JSON.stringify(saved));
  }

  /** Every namespace this lab may have made (all possible directors, for a clean teardown). */
  override get namespaces(): string[] {
    const lvs = Array.from({ length: MAX_DIRECTORS }, (_, i) => `${this.prefix}-lvs${i + 1}`);
    return [this.client, this.router, ...lvs, this.web1, this.web2, this.sw];
  }

  override isUp(): boolean {
    return this.directors.length > 0 && [this.client, this.router, ...this.directors.map((d) => d.lvs)].every(nsExists);
  }

  /** Build the namespaces, start the web servers and the router's BIRD (directors: addDirector). */
  override up(opts: LabOptions & { directors?: number; policy?: DirectorPolicy; resilient?: boolean } = {}): void {
    if (this.anyLeft()) this.down();
    mkdirSync(join(this.stateDir, 'router'), { recursive: true });
    try {
      for (const n of [this.client, this.router, this.web1, this.web2, this.sw]) addNetns(n);
      addVeth(this.client, 'eth0', this.router, 'eth0');
      addVeth(this.router, 'eth1', this.sw, 'p-router');
      addVeth(this.web1, 'eth1', this.sw, 'p-web1');
      addVeth(this.web2, 'eth1', this.sw, 'p-web2');
      ip('-n', this.sw, 'link', 'add', 'br0', 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0');
      for (const p of ['p-router', 'p-web1', 'p-web2']) this.toSwitch(p);
      ip('-n', this.sw, 'link', 'set', 'br0', 'up');

      ip('-n', this.client, 'addr', 'add', `${CIP}/29`, 'dev', 'eth0');
      ip('-n', this.client, 'link', 'set', 'eth0', 'up');
      ip('-n', this.client, 'route', 'add', 'default', 'via', ROUTER_CLIENT_SIDE);
      // txrehash=0: the client's sockets keep their hash after a retransmission timeout. The veth
      // carries a socket's hash (skb->hash, an L4 hash) into the router, whose multipath hash uses it
      // as is (fib_multipath_hash: "short-circuit if we already have L4 hash present"); with the
      // default txrehash=1 a stalled flow draws a new hash at each timeout and so tries another
      // director, which no router does for IPv4 packets that arrive from a real link.
      nsExec(
        this.client,
        'sysctl',
        '-qw',
        'net.ipv4.ip_local_port_range=1024 65535',
        'net.ipv4.tcp_tw_reuse=1',
        'net.core.txrehash=0',
      );

      ip('-n', this.router, 'addr', 'add', `${ROUTER_CLIENT_SIDE}/29`, 'dev', 'eth0');
      ip('-n', this.router, 'addr', 'add', `${ROUTER_SEGMENT_SIDE}/24`, 'dev', 'eth1');
      ip('-n', this.router, 'link', 'set', 'eth0', 'up');
      ip('-n', this.router, 'link', 'set', 'eth1', 'up');
      // Forward, and hash flows on addresses, protocol and ports (policy 1, "Layer 4").
      nsExec(this.router, 'sysctl', '-qw', 'net.ipv4.ip_forward=1', 'net.ipv4.fib_multipath_hash_policy=1');

      for (const [ns, rip] of [
        [this.web1, RIP1],
        [this.web2, RIP2],
      ] as const) {
        ip('-n', ns, 'addr', 'add', `${rip}/24`, 'dev', 'eth1');
        ip('-n', ns, 'addr', 'add', `${VIP}/32`, 'dev', 'lo');
        for (const dev of ['all', 'eth1'])
          nsExec(ns, 'sysctl', '-qw', `net.ipv4.conf.${dev}.arp_ignore=1`, `net.ipv4.conf.${dev}.arp_announce=2`);
        ip('-n', ns, 'link', 'set', 'eth1', 'up');
        ip('-n', ns, 'route', 'add', 'default', 'via', ROUTER_SEGMENT_SIDE);
      }
      this.startWeb(opts);
      this.directors = [];
      const n = Math.min(Math.max(opts.directors ?? DEFAULT_DIRECTORS, 1), MAX_DIRECTORS);
      this.policy = opts.policy ?? DEFAULT_POLICY;
      this.resilient = opts.resilient ?? false;
      for (let k = 1; k <= n; k++) this.directors.push(new Director(this.prefix, k, this.stateDir, this.policy));
      this.save();
      this.routerBird.start(this.routerConf());
      if (this.resilient) this.watcher.start();
      for (const d of this.directors) this.buildDirector(d);
    } catch (e) {
      this.down();
      throw e;
    }
  }

  private toSwitch(port: string): void {
    ip('-n', this.sw, 'link', 'set', port, 'master', 'br0');
    ip('-n', this.sw, 'link', 'set', port, 'up');
  }

  private routerConf(): string {
    return routerBirdConf(
      this.routerBird.logFile,
      ROUTER_SEGMENT_SIDE,
      this.directors.map((d) => d.addr),
      this.resilient ? RESILIENT_TABLE : null,
    );
  }

  /** A director's namespace on the segment and its BIRD (tsvsd comes with Director.startTsvsd). */
  private buildDirector(d: Director): void {
    mkdirSync(d.stateDir, { recursive: true });
    addNetns(d.lvs);
    addVeth(d.lvs, 'eth0', this.sw, `p-lvs${d.k}`);
    this.toSwitch(`p-lvs${d.k}`);
    ip('-n', d.lvs, 'addr', 'add', `${d.addr}/24`, 'dev', 'eth0');
    ip('-n', d.lvs, 'link', 'set', 'eth0', 'up');
    ip('-n', d.lvs, 'route', 'add', 'default', 'via', ROUTER_SEGMENT_SIDE);
    d.bird.start(directorBirdConf(d.bird.logFile, d.addr, ROUTER_SEGMENT_SIDE, [VIP]));
  }

  /** One more director (namespace, BIRD; the router's BIRD learns of it with `birdc configure`). */
  addDirector(): Director {
    const k = this.directors.length + 1;
    if (k > MAX_DIRECTORS) throw new Error(`at most ${MAX_DIRECTORS} directors`);
    const d = new Director(this.prefix, k, this.stateDir, this.policy);
    this.directors.push(d);
    this.save();
    this.buildDirector(d);
    writeFileSync(this.routerBird.conf, this.routerConf());
    this.routerBird.birdc('configure');
    return d;
  }

  /** The router's next hops for the VIP, as the kernel has them (`ip route show VIP`). */
  nextHops(): string[] {
    const r = spawnSync('ip', ['-n', this.router, 'route', 'show', `${VIP}/32`], { encoding: 'utf8' });
    return [...(r.stdout ?? '').matchAll(/via (\d+\.\d+\.\d+\.\d+)/g)].map((m) => m[1]!);
  }

  routeText(): string {
    return this.routerRoute();
  }

  /** `ip route show VIP/32` on the router, in the main table or in `table`. */
  routerRoute(table: number | null = null): string {
    const t = table === null ? [] : ['table', String(table)];
    return spawnSync('ip', ['-n', this.router, 'route', 'show', `${VIP}/32`, ...t], { encoding: 'utf8' }).stdout ?? '';
  }

  /** `ip nexthop show` for the group of the VIP's route (resilient-nexthops.ts), or ''. */
  nexthopGroup(): string {
    const id = /nhid (\d+)/.exec(this.routerRoute())?.[1];
    if (id === undefined) return '';
    return spawnSync('ip', ['-n', this.router, 'nexthop', 'show', 'id', id], { encoding: 'utf8' }).stdout ?? '';
  }

  /** Real servers answer on the VIP (held on their lo), so they listen on every address. */
  protected override webListenAddr(): string {
    return '0.0.0.0';
  }

  override engineConfig(): string {
    return this.directors[0]?.engineConfig() ?? '';
  }

  override down(): void {
    for (let k = 1; k <= MAX_DIRECTORS; k++) {
      const d = new Director(this.prefix, k, this.stateDir);
      d.stopAnnouncer();
      d.daemon.stop();
      d.bird.stop();
    }
    this.watcher.stop();
    this.routerBird.stop();
    super.down();
    for (const n of this.namespaces) delNetns(n);
  }
}
