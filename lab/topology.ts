// LabTopology: the classic LVS-NAT lab in network namespaces (the reference topology of the brief,
// built like ../shared/anchors/lab-up.sh: a switch namespace keeps lvs1's eth1 a real veth).
//
//   client  eth0 192.168.88.10/24, default via 192.168.88.5
//     | veth
//   lvs1    eth0 (VIP side: 192.168.88.5 is owned by tsvs in userspace, not by the kernel)
//           eth1 192.168.99.5/24 (DIP, a kernel address: gateway of the real servers, source of
//                health checks); ip_forward=0, so the kernel never forwards what tsvs forwards
//     | veth
//   sw99    bridge br0 (a plain L2 switch)
//     | veth              | veth
//   web1 192.168.99.100   web2 192.168.99.200   (default via 192.168.99.5), HTTP :80 naming the host
//
// mode 'routed' puts the VIP on lvs1's kernel with ip_forward=1 instead (the kernel-forwarding
// and nftables baselines of bench/compare).

import { existsSync, mkdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { addNetns, addSwitch, addVeth, delNetns, ip, nsExec, nsExists, spawnInNs, tryKill } from './netns.ts';
import { IPV6_ENGINE, ipv6Up, RIP1_6, RIP2_6 } from './ipv6.ts';
import { hasCommand, nginxConf, waitListen } from './web-setup.ts';

export const CIP = '192.168.88.10';
export const VIP = '192.168.88.5';
export const DIP = '192.168.99.5';
/** Full-NAT local address on the real-server side, owned by tsvs. */
export const LIP = '192.168.99.6';
export const RIP1 = '192.168.99.100';
export const RIP2 = '192.168.99.200';

export interface LabOptions {
  mode?: 'tsvs' | 'routed';
  offloads?: 'default' | 'off';
  /** Use nginx when installed (default), force the Node fallback server, or start none. */
  web?: 'auto' | 'node' | 'none';
  /** Per-web extra delay (ms) for the Node server, e.g. to make one server slow. */
  webDelayMs?: readonly [number, number];
  /** Dual-stack: the IPv6 addresses of lab/ipv6.ts too, and tsvsd owns the VIP6. */
  ipv6?: boolean;
}

export class LabTopology {
  readonly client: string;
  readonly lvs: string;
  readonly web1: string;
  readonly web2: string;
  readonly sw: string;
  readonly stateDir: string;
  /** Set by up({ ipv6: true }): engineConfig() and the web servers are dual-stack. */
  ipv6 = false;

  constructor(readonly prefix = 'tsvs') {
    this.client = `${prefix}-client`;
    this.lvs = `${prefix}-lvs1`;
    this.web1 = `${prefix}-web1`;
    this.web2 = `${prefix}-web2`;
    this.sw = `${prefix}-sw99`;
    this.stateDir = join('/run/tsvs-lab', prefix);
  }

  get namespaces(): string[] {
    return [this.client, this.lvs, this.web1, this.web2, this.sw];
  }

  isUp(): boolean {
    return this.namespaces.every((n) => nsExists(n));
  }

  anyLeft(): boolean {
    return this.namespaces.some((n) => nsExists(n));
  }

  up(opts: LabOptions = {}): void {
    const mode = opts.mode ?? 'tsvs';
    if (this.anyLeft()) this.down();
    mkdirSync(this.stateDir, { recursive: true });
    try {
      for (const n of this.namespaces) addNetns(n);
      addVeth(this.client, 'eth0', this.lvs, 'eth0');
      addVeth(this.lvs, 'eth1', this.sw, 'p-lvs1');
      addVeth(this.web1, 'eth1', this.sw, 'p-web1');
      addVeth(this.web2, 'eth1', this.sw, 'p-web2');
      addSwitch(this.sw, ['p-lvs1', 'p-web1', 'p-web2']);

      ip('-n', this.client, 'addr', 'add', `${CIP}/24`, 'dev', 'eth0');
      ip('-n', this.client, 'link', 'set', 'eth0', 'up');
      ip('-n', this.client, 'route', 'add', 'default', 'via', VIP);
      nsExec(this.client, 'sysctl', '-qw', 'net.ipv4.ip_local_port_range=1024 65535', 'net.ipv4.tcp_tw_reuse=1');

      if (mode === 'routed') ip('-n', this.lvs, 'addr', 'add', `${VIP}/24`, 'dev', 'eth0');
      ip('-n', this.lvs, 'addr', 'add', `${DIP}/24`, 'dev', 'eth1');
      ip('-n', this.lvs, 'link', 'set', 'eth0', 'up');
      ip('-n', this.lvs, 'link', 'set', 'eth1', 'up');
      nsExec(this.lvs, 'sysctl', '-qw', `net.ipv4.ip_forward=${mode === 'routed' ? 1 : 0}`);

      for (const [ns, rip] of [
        [this.web1, RIP1],
        [this.web2, RIP2],
      ] as const) {
        ip('-n', ns, 'addr', 'add', `${rip}/24`, 'dev', 'eth1');
        ip('-n', ns, 'link', 'set', 'eth1', 'up');
        ip('-n', ns, 'route', 'add', 'default', 'via', DIP);
      }
      this.ipv6 = opts.ipv6 === true;
      if (this.ipv6) ipv6Up(this);
      if (opts.offloads === 'off') this.offloadsOff();
      if (opts.web !== 'none') this.startWeb(opts);
    } catch (e) {
      this.down();
      throw e;
    }
  }

  /** Turn off tso/gso/gro/tx/rx checksum offloads on every lab veth. */
  offloadsOff(): void {
    const pairs: [string, string][] = [
      [this.client, 'eth0'],
      [this.lvs, 'eth0'],
      [this.lvs, 'eth1'],
      [this.web1, 'eth1'],
      [this.web2, 'eth1'],
      [this.sw, 'p-lvs1'],
      [this.sw, 'p-web1'],
      [this.sw, 'p-web2'],
    ];
    for (const [ns, dev] of pairs) {
      for (const f of ['tso', 'gso', 'gro', 'tx', 'rx'])
        spawnSync('ip', ['netns', 'exec', ns, 'ethtool', '-K', dev, f, 'off'], { stdio: 'ignore' });
    }
  }

  private webOpts: LabOptions = {};

  protected startWeb(opts: LabOptions): void {
    this.webOpts = opts;
    for (const name of ['web1', 'web2'] as const) this.startWebServer(name);
  }

  /** The address a web server listens on: its RIP, where classic and full NAT send. */
  protected webListenAddr(rip: string): string {
    return rip;
  }

  /** The IPv6 listener of a dual-stack web server ([address] for nginx): its RIP6, as for IPv4. */
  protected webListenAddr6(rip6: string): string {
    return `[${rip6}]`;
  }

  /** tsvsd's [engine] section for this topology (lab-daemon.ts writes it into tsvsd.conf). */
  engineConfig(): string {
    const v6 = this.ipv6 ? IPV6_ENGINE : { eth0Owned: '', eth0Subnet: '', eth1Subnet: '' };
    return `# eth0: the VIP side. tsvs answers ARP and ping for ${VIP}; lvs1's kernel has no copy of it.
interface eth0 owned ${VIP}${v6.eth0Owned} subnet 192.168.88.0/24${v6.eth0Subnet}
# eth1: the real-server side. ${DIP} (the DIP, the web servers' gateway) is a kernel address.
interface eth1 subnet 192.168.99.0/24${v6.eth1Subnet}
# full NAT (tsvsadm -F): connections reach the web servers from ${LIP}
fullnat-address ${LIP}
`;
  }

  /** (Re)start one web server, as the lab first started it. */
  startWebServer(name: 'web1' | 'web2'): void {
    const opts = this.webOpts;
    const useNginx = (opts.web ?? 'auto') === 'auto' && !opts.webDelayMs && hasCommand('nginx');
    const [ns, rip, delayMs] =
      name === 'web1' ? [this.web1, RIP1, opts.webDelayMs?.[0] ?? 0] : [this.web2, RIP2, opts.webDelayMs?.[1] ?? 0];
    const dir = join(this.stateDir, name);
    const addr = this.webListenAddr(rip);
    const addr6 = this.ipv6 ? this.webListenAddr6(name === 'web1' ? RIP1_6 : RIP2_6) : '';
    mkdirSync(dir, { recursive: true });
    if (useNginx) {
      const conf = join(dir, 'nginx.conf');
      writeFileSync(conf, nginxConf(dir, addr, name, '', addr6));
      nsExec(ns, 'nginx', '-q', '-c', conf, '-e', join(dir, 'error.log'));
    } else {
      const script = new URL('./web-server.ts', import.meta.url).pathname;
      const js = script.replace(/\.ts$/, '.js');
      const args = existsSync(js) ? [js] : ['--import', 'tsx', script];
      // Dual-stack: '::' takes both families on one socket.
      const listen = this.ipv6 ? '::' : addr;
      const child = spawnInNs(ns, process.execPath, [...args, name, listen, '80', String(delayMs)]);
      child.unref();
      writeFileSync(join(dir, 'web.pid'), String(child.pid));
    }
    waitListen(ns, addr, 80);
  }

  /** Stop one web server (by the PID it recorded) and wait until nothing listens on :80. */
  stopWebServer(name: 'web1' | 'web2'): void {
    for (const f of ['nginx.pid', 'web.pid']) {
      const pf = join(this.stateDir, name, f);
      if (!existsSync(pf)) continue;
      const pid = Number(readFileSync(pf, 'utf8').trim());
      if (pid > 0) tryKill(pid, 'SIGTERM');
      rmSync(pf, { force: true });
    }
    const ns = name === 'web1' ? this.web1 : this.web2;
    for (let i = 0; i < 100; i++) {
      const r = spawnSync('ip', ['netns', 'exec', ns, 'ss', '-Htln', '( sport = :80 )'], { encoding: 'utf8' });
      if ((r.stdout ?? '').trim() === '') return;
      spawnSync('sleep', ['0.05']);
    }
  }

  /** Stop what the lab started (by PID) and delete its namespaces. Safe to call at any time. */
  down(): void {
    for (const name of ['web1', 'web2']) {
      for (const f of ['nginx.pid', 'web.pid']) {
        const pf = join(this.stateDir, name, f);
        if (existsSync(pf)) {
          const pid = Number(readFileSync(pf, 'utf8').trim());
          if (pid > 0) tryKill(pid, 'SIGTERM');
        }
      }
    }
    for (const n of this.namespaces) delNetns(n);
    rmSync(this.stateDir, { recursive: true, force: true });
  }
}
