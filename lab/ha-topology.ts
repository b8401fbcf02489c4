// HaTopology: two LVS-NAT directors in network namespaces, one a VRRP MASTER and one a BACKUP
// (keepalived, lab/ha-keepalived.ts), as the LVS-HOWTO's "failover" chapter and keepalived's
// LVS-NAT sample draw them: a switch on each side, so the VIP and the DIP can move between them.
//
//   client  eth0 192.168.88.10/24, default via 192.168.88.5 (the VIP)
//     | veth
//   sw88    bridge br0: the client side
//     | veth                                   | veth
//   lvs1    eth0: VIP 192.168.88.5 owned by    lvs2    eth0: the same VIP, held silent
//           tsvsd (ARP, ping) while MASTER             until keepalived makes lvs2 MASTER
//           eth1 192.168.99.2/24 (its own)             eth1 192.168.99.3/24 (its own)
//           + DIP 192.168.99.5/24 (keepalived's        + the DIP, when MASTER
//             virtual_ipaddress, when MASTER)
//     | veth                                   | veth
//   sw99    bridge br0: the real-server side (VRRP adverts and IPVS sync multicast cross it)
//     | veth               | veth
//   web1 192.168.99.100    web2 192.168.99.200   default via 192.168.99.5 (the DIP, wherever it is)
//
// The web servers are nginx (as in the NAT lab), answering / with their name and serving
// /big, the same 200 MB file on both (rate-limited, so that a download spans a failover).

import { createCipheriv, createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { addNetns, addSwitch, addVeth, delNetns, ip, nsExec, nsExists, tryKill } from './netns.ts';
import { CIP, DIP, RIP1, RIP2, VIP } from './topology.ts';
import { nginxConf } from './web-setup.ts';

/** Each director's own address on the real-server side (VRRP adverts and sync leave from it). */
export const LVS1_ADDR = '192.168.99.2';
export const LVS2_ADDR = '192.168.99.3';
export const BIG_FILE_BYTES = 200 * 1024 * 1024;

export class HaTopology {
  readonly client: string;
  readonly lvs1: string;
  readonly lvs2: string;
  readonly web1: string;
  readonly web2: string;
  readonly sw88: string;
  readonly sw99: string;
  readonly stateDir: string;

  constructor(readonly prefix = 'tsvs') {
    this.client = `${prefix}-client`;
    this.lvs1 = `${prefix}-lvs1`;
    this.lvs2 = `${prefix}-lvs2`;
    this.web1 = `${prefix}-web1`;
    this.web2 = `${prefix}-web2`;
    this.sw88 = `${prefix}-sw88`;
    this.sw99 = `${prefix}-sw99`;
    this.stateDir = join('/run/tsvs-lab', `${prefix}-ha`);
  }

  get namespaces(): string[] {
    return [this.client, this.sw88, this.lvs1, this.lvs2, this.sw99, this.web1, this.web2];
  }

  anyLeft(): boolean {
    return this.namespaces.some((n) => nsExists(n));
  }

  /** The big file both web servers serve (made once, kept across labs: a fixed pseudo-random content). */
  get bigFile(): string {
    return '/var/tmp/tsvs-lab-big.bin';
  }

  up(opts: { bigRateBytes?: number } = {}): void {
    this.down();
    mkdirSync(this.stateDir, { recursive: true });
    try {
      for (const n of this.namespaces) addNetns(n);
      addVeth(this.client, 'eth0', this.sw88, 'p-client');
      addVeth(this.lvs1, 'eth0', this.sw88, 'p-lvs1');
      addVeth(this.lvs2, 'eth0', this.sw88, 'p-lvs2');
      addSwitch(this.sw88, ['p-client', 'p-lvs1', 'p-lvs2']);
      addVeth(this.lvs1, 'eth1', this.sw99, 'p-lvs1');
      addVeth(this.lvs2, 'eth1', this.sw99, 'p-lvs2');
      addVeth(this.web1, 'eth1', this.sw99, 'p-web1');
      addVeth(this.web2, 'eth1', this.sw99, 'p-web2');
      addSwitch(this.sw99, ['p-lvs1', 'p-lvs2', 'p-web1', 'p-web2']);

      ip('-n', this.client, 'addr', 'add', `${CIP}/24`, 'dev', 'eth0');
      ip('-n', this.client, 'link', 'set', 'eth0', 'up');
      ip('-n', this.client, 'route', 'add', 'default', 'via', VIP);
      nsExec(this.client, 'sysctl', '-qw', 'net.ipv4.ip_local_port_range=1024 65535', 'net.ipv4.tcp_tw_reuse=1');

      for (const [ns, own] of [
        [this.lvs1, LVS1_ADDR],
        [this.lvs2, LVS2_ADDR],
      ] as const) {
        ip('-n', ns, 'addr', 'add', `${own}/24`, 'dev', 'eth1');
        ip('-n', ns, 'link', 'set', 'eth0', 'up');
        ip('-n', ns, 'link', 'set', 'eth1', 'up');
        nsExec(ns, 'sysctl', '-qw', 'net.ipv4.ip_forward=0');
      }
      for (const [ns, rip] of [
        [this.web1, RIP1],
        [this.web2, RIP2],
      ] as const) {
        ip('-n', ns, 'addr', 'add', `${rip}/24`, 'dev', 'eth1');
        ip('-n', ns, 'link', 'set', 'eth1', 'up');
        ip('-n', ns, 'route', 'add', 'default', 'via', DIP);
      }
      this.makeBigFile();
      this.startWeb('web1', this.web1, RIP1, opts.bigRateBytes ?? 0);
      this.startWeb('web2', this.web2, RIP2, opts.bigRateBytes ?? 0);
    } catch (e) {
      this.down();
      throw e;
    }
  }

  /** 200 MB of fixed pseudo-random bytes (AES-128-CTR of zeros under a zero key), made once. */
  private makeBigFile(): void {
    const sumFile = `${this.bigFile}.sha256`;
    if (existsSync(this.bigFile) && existsSync(sumFile)) return;
    const tmp = `${this.bigFile}.tmp`;
    const fd = openSync(tmp, 'w');
    const cipher = createCipheriv('aes-128-ctr', Buffer.alloc(16), Buffer.alloc(16));
    const hash = createHash('sha256');
    const zeros = Buffer.alloc(1 << 20);
    for (let done = 0; done < BIG_FILE_BYTES; done += zeros.length) {
      const chunk = cipher.update(zeros);
      hash.update(chunk);
      writeSync(fd, chunk);
    }
    closeSync(fd);
    renameSync(tmp, this.bigFile);
    writeFileSync(sumFile, `${hash.digest('hex')}\n`);
  }

  /** The big file's sha256, as the client must see it after a download. */
  bigSha256(): string {
    return readFileSync(`${this.bigFile}.sha256`, 'utf8').trim();
  }

  private startWeb(name: string, ns: string, rip: string, rateBytes: number): void {
    const dir = join(this.stateDir, name);
    mkdirSync(dir, { recursive: true });
    const conf = join(dir, 'nginx.conf');
    const rate = rateBytes > 0 ? ` limit_rate ${rateBytes};` : '';
    const big = `\n        location = /big { alias ${this.bigFile}; default_type application/octet-stream;${rate} }`;
    writeFileSync(conf, nginxConf(dir, rip, name, big));
    nsExec(ns, 'nginx', '-q', '-c', conf, '-e', join(dir, 'error.log'));
    for (let i = 0; i < 100; i++) {
      const r = spawnSync('ip', ['netns', 'exec', ns, 'ss', '-Htln', '( sport = :80 )'], { encoding: 'utf8' });
      if ((r.stdout ?? '').includes(rip)) return;
      spawnSync('sleep', ['0.05']);
    }
    throw new Error(`nginx did not listen on ${rip}:80 in ${ns}`);
  }

  /** Stop what the lab started (by the PIDs it recorded) and delete its namespaces. */
  down(): void {
    for (const f of ['web1/nginx.pid', 'web2/nginx.pid', 'lvs1/tsvsd.pid', 'lvs2/tsvsd.pid']) {
      const pf = join(this.stateDir, f);
      if (!existsSync(pf)) continue;
      const pid = Number(readFileSync(pf, 'utf8').trim());
      if (pid > 0) tryKill(pid, 'SIGTERM');
    }
    // keepalived and the rest left in the directors' namespaces go with them (delNetns).
    for (const n of this.namespaces) delNetns(n);
    rmSync(this.stateDir, { recursive: true, force: true });
  }
}
