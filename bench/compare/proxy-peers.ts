// proxy-peers: the proxy daemons bench/compare puts on lvs1, HAProxy mode tcp and nginx stream,
// each a forking daemon known by its pid file and stopped by PID. Their configs are ports of
// ../shared/anchors/lb-*.sh. The Peer interface and the kernel peers are in peers.ts.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabTopology } from '../../lab/topology.ts';
import { RIP1, RIP2, VIP } from '../../lab/topology.ts';
import { killPid, routedOn, waitListen, type Peer, type PeerContext } from './peers.ts';
import { nsMust, nsPids, pidState, sleepMs } from './sys.ts';

export const STREAM_MODULE = '/usr/lib/nginx/modules/ngx_stream_module.so';

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
/** After a daemon peer stopped, anything left in lvs1 is a leftover of ours: kill it. */
function reapLvs(lab: LabTopology): void {
  for (const pid of nsPids(lab.lvs)) killPid(pid, 1000);
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

export class HaproxyPeer extends DaemonPeer {
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

export class NginxStreamPeer extends DaemonPeer {
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
