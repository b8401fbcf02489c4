// peers: the load balancers bench/compare puts on lvs1 one at a time, behind one Peer interface:
// none (plain routing to web1), kernel nftables DNAT, HAProxy mode tcp and nginx stream. Their
// rules and configs are ports of ../shared/anchors/lb-*.sh. tsvs lives in tsvs-peer.ts.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabTopology } from '../../lab/topology.ts';
import { RIP1, RIP2, VIP } from '../../lab/topology.ts';
import { nsMust, nsPids, nsRun, pidState, sleepMs } from './sys.ts';

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

export const STREAM_MODULE = '/usr/lib/nginx/modules/ngx_stream_module.so';

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

function readPid(file: string): number {
  return existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) || 0 : 0;
}

function waitPidFile(file: string): number {
  for (let i = 0; i < 100; i++) {
    const pid = readPid(file);
    if (pid > 0 && pidState(pid) !== '') return pid;
    sleepMs(50);
  }
  throw new Error(`no live pid in ${file}`);
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

/** After a daemon peer stopped, anything left in lvs1 is a leftover of ours: kill it. */
function reapLvs(lab: LabTopology): void {
  for (const pid of nsPids(lab.lvs)) killPid(pid, 1000);
}

class NonePeer implements Peer {
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

class NftPeer implements Peer {
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

/** A forking proxy daemon (haproxy, nginx) known by its pid file. */
abstract class DaemonPeer implements Peer {
  abstract readonly name: string;
  readonly target = VIP;
  protected pid = 0;
  constructor(protected readonly ctx: PeerContext) {}
  protected abstract launch(dir: string): string;
  start(): void {
    routedOn(this.ctx.lab);
    const dir = join(this.ctx.dir, this.name);
    mkdirSync(dir, { recursive: true });
    this.pid = waitPidFile(this.launch(dir));
    waitListen(this.ctx.lab.lvs, 80);
    waitListen(this.ctx.lab.lvs, 5201);
  }
  stop(): void {
    killPid(this.pid);
    this.pid = 0;
    sleepMs(200);
    reapLvs(this.ctx.lab);
  }
  problem(): string | null {
    const s = pidState(this.pid);
    return s === '' || s === 'Z' ? `${this.name} (pid ${this.pid}) is gone` : null;
  }
}

class HaproxyPeer extends DaemonPeer {
  readonly name = 'haproxy';
  protected launch(dir: string): string {
    const cfg = join(dir, 'haproxy.cfg');
    const pidFile = join(dir, 'haproxy.pid');
    writeFileSync(
      cfg,
      `global
    nbthread ${this.ctx.lbWorkers}
    maxconn 8000
    daemon

defaults
    mode tcp
    timeout connect 5s
    timeout client 60s
    timeout server 60s

frontend vip80
    bind ${VIP}:80 backlog 4096
    default_backend web

backend web
    balance roundrobin
    server web1 ${RIP1}:80
    server web2 ${RIP2}:80

listen iperf
    bind ${VIP}:5201
    server web1 ${RIP1}:5201
`,
    );
    nsMust(this.ctx.lab.lvs, 'haproxy', ['-q', '-c', '-f', cfg]);
    nsMust(this.ctx.lab.lvs, 'haproxy', ['-D', '-f', cfg, '-p', pidFile]);
    return pidFile;
  }
}

class NginxStreamPeer extends DaemonPeer {
  readonly name = 'nginx-stream';
  protected launch(dir: string): string {
    if (!existsSync(STREAM_MODULE))
      throw new Error(`nginx stream module missing (${STREAM_MODULE}): apt-get install libnginx-mod-stream`);
    const cfg = join(dir, 'nginx.conf');
    const pidFile = join(dir, 'nginx.pid');
    const log = join(dir, 'error.log');
    writeFileSync(
      cfg,
      `load_module ${STREAM_MODULE};
user www-data;
worker_processes ${this.ctx.lbWorkers};
worker_rlimit_nofile 65536;
pid ${pidFile};
error_log ${log} warn;
events { worker_connections 16384; }
stream {
    upstream web {
        zone web 64k;
        server ${RIP1}:80;
        server ${RIP2}:80;
    }
    server {
        listen ${VIP}:80 backlog=4096;
        proxy_pass web;
    }
    server {
        listen ${VIP}:5201;
        proxy_pass ${RIP1}:5201;
    }
}
`,
    );
    nsMust(this.ctx.lab.lvs, 'nginx', ['-t', '-q', '-c', cfg, '-e', log]);
    nsMust(this.ctx.lab.lvs, 'nginx', ['-c', cfg, '-e', log]);
    return pidFile;
  }
}

export function kernelPeer(name: string, ctx: PeerContext): Peer | null {
  switch (name) {
    case 'none':
      return new NonePeer(ctx);
    case 'nft':
      return new NftPeer(ctx);
    case 'haproxy':
      return new HaproxyPeer(ctx);
    case 'nginx-stream':
      return new NginxStreamPeer(ctx);
    default:
      return null;
  }
}
