// HaLab: the HA lab's moving parts together (lab/ha-topology.ts, two HaDirectors): tsvsd on both
// directors from one config, keepalived on both, the sync daemons when tsvsadm has them, and the
// client's loads through the VIP (a bounded download with a checksum, the keep-alive probe of
// lab/ha-probe.ts). Used by `npm run lab -- ha` (lab/ha-demo.ts) and test/lab/ha.test.ts.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HaDirector } from './ha-director.ts';
import { SYNC_ID, VRRP_FIFO, type VrrpOptions } from './ha-keepalived.ts';
import { HaTopology } from './ha-topology.ts';
import { ROOT } from './lab-daemon.ts';
import { RIP1, RIP2, VIP } from './topology.ts';

export interface ProbeConn {
  openedMs: number;
  lastOkMs: number;
  answers: number;
  broken: string | null;
}

export interface ProbeResult {
  /** Longest time new connections got no answer (the failover's stall). */
  stallMs: number;
  stallEndMs: number;
  freshFailed: number;
  keepAliveGapMs: number;
  answers: number;
  conns: ProbeConn[];
}

export interface DownloadResult {
  bytes: number;
  sha256: string;
  curlExit: number;
  seconds: number;
}

export interface HaUpOptions {
  /** Run the IPVS sync daemons (tsvsadm --start-daemon) from the notify scripts; default true. */
  readonly sync?: boolean;
  readonly vrrp?: VrrpOptions;
  /** nginx's limit_rate for /big, bytes/s (so that a download spans the failover); 0 = none. */
  readonly bigRateBytes?: number;
}

const SYNC_ARGS = ['--mcast-interface', 'eth1', '--syncid', String(SYNC_ID)];

export class HaLab {
  readonly topo: HaTopology;
  readonly lvs1: HaDirector;
  readonly lvs2: HaDirector;
  /** Whether the sync daemons run; the reason when they do not. */
  sync: { running: boolean; why: string } = { running: false, why: 'not started' };

  constructor(prefix = 'tsvs') {
    this.topo = new HaTopology(prefix);
    this.lvs1 = new HaDirector('lvs1', this.topo.lvs1, this.topo.stateDir);
    this.lvs2 = new HaDirector('lvs2', this.topo.lvs2, this.topo.stateDir);
  }

  get directors(): [HaDirector, HaDirector] {
    return [this.lvs1, this.lvs2];
  }

  get configPath(): string {
    return join(this.topo.stateDir, 'tsvsd.conf');
  }

  /** One tsvsd.conf for both directors: the same engine, the same rules, starting silent. */
  tsvsdConf(): string {
    return `# tsvsd for both directors of the HA lab (written by lab/ha-lab.ts)
[daemon]
log-level info

[engine]
# eth0: the client side. Both directors own the VIP; only the VRRP MASTER answers for it.
interface eth0 owned ${VIP} subnet 192.168.88.0/24
# eth1: the real-server side. The DIP 192.168.99.5 is keepalived's (a kernel address on the MASTER).
interface eth1 subnet 192.168.99.0/24
# silent until keepalived's MASTER notification, which tsvsd reads from keepalived's notify FIFO
# itself (vrrp.fifo beside its control socket: each director's own)
vrrp-state backup
vrrp-notify-fifo ${VRRP_FIFO}

[rules]
-A -t ${VIP}:80 -s rr
-a -t ${VIP}:80 -r ${RIP1}:80 -m -w 1
-a -t ${VIP}:80 -r ${RIP2}:80 -m -w 1
`;
  }

  /** Build everything and wait until keepalived made lvs1 MASTER and lvs2 BACKUP. */
  async up(o: HaUpOptions = {}): Promise<void> {
    this.topo.up({ bigRateBytes: o.bigRateBytes ?? 0 });
    try {
      writeFileSync(this.configPath, this.tsvsdConf());
      for (const d of this.directors) {
        d.writeScripts(o.sync !== false);
        await d.startTsvsd(this.configPath);
      }
      this.sync = o.sync === false ? { running: false, why: '--no-sync' } : this.startBackupSync();
      for (const d of this.directors) d.startKeepalived(o.vrrp ?? {});
      await this.waitState(this.lvs1, 'MASTER', 30_000);
      await this.waitState(this.lvs2, 'BACKUP', 30_000);
    } catch (e) {
      this.down();
      throw e;
    }
  }

  /**
   * keepalived with lvs_sync_daemon starts a backup sync daemon on every director at start-up
   * (the ipvs-cluster notes, 5.1); the notify scripts switch them on state changes.
   */
  private startBackupSync(): { running: boolean; why: string } {
    for (const d of this.directors) {
      const r = d.tsvsadm(['--start-daemon', 'backup', ...SYNC_ARGS]);
      if (r.status !== 0) return { running: false, why: (r.stderr || r.stdout).trim() };
    }
    return { running: true, why: '' };
  }

  down(): void {
    this.topo.down();
  }

  /** Until keepalived notified `state` (the notify log) and tsvsd took it from its FIFO. */
  async waitState(d: HaDirector, state: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const tsvsdIn = (): boolean => d.tsvsadm(['--vrrp-state']).stdout.startsWith(`VRRP state ${state} `);
    while (d.vrrpState() !== state || !tsvsdIn()) {
      if (Date.now() > deadline)
        throw new Error(
          `${d.name} did not become ${state} within ${timeoutMs} ms (it is ${d.vrrpState() || 'not yet notified'}); keepalived's log:\n${d.log('keepalived.log').slice(-3000)}`,
        );
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** The keep-alive probe in the client namespace; resolves with its result when it ends. */
  probe(conns: number, seconds: number, timeoutMs: number): Promise<ProbeResult> {
    return runProbe(this.topo.client, conns, seconds, timeoutMs);
  }

  /** curl of /big through the VIP, its sha256; curl gives up after 10 s below 1 byte/s. */
  download(): Promise<DownloadResult> {
    const cmd =
      `curl -sS --speed-limit 1 --speed-time 10 --max-time 170 -w '%{stderr}bytes=%{size_download} time=%{time_total}\\n' ` +
      `http://${VIP}/big | sha256sum; echo "rc=\${PIPESTATUS[0]}" >&2`;
    const child = spawn('ip', ['netns', 'exec', this.topo.client, 'timeout', '180', 'bash', '-c', cmd], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return collect(child, (out, err) => ({
      sha256: out.split(' ')[0] ?? '',
      bytes: Number(/bytes=(\d+)/.exec(err)?.[1] ?? 0),
      seconds: Number(/time=([\d.]+)/.exec(err)?.[1] ?? 0),
      curlExit: Number(/rc=(\d+)/.exec(err)?.[1] ?? -1),
    }));
  }
}

/**
 * lab/ha-probe.ts in namespace `ns` against the VIP (or `host`, an IPv6 VIP): `conns` keep-alive
 * connections asking every `pauseMs` for `seconds`, and a new connection every `pauseMs`;
 * resolves with its result.
 */
export function runProbe(
  ns: string,
  conns: number,
  seconds: number,
  timeoutMs: number,
  pauseMs = 20,
  host = VIP,
): Promise<ProbeResult> {
  const script = join(ROOT, 'lab', 'ha-probe.ts');
  const js = join(ROOT, 'dist', 'lab', 'ha-probe.js');
  const fromSource = import.meta.url.endsWith('.ts');
  const args = !fromSource && existsSync(js) ? [js] : ['--import', 'tsx', script];
  const child = spawn(
    'ip',
    [
      'netns',
      'exec',
      ns,
      'timeout',
      String(seconds + 30),
      process.execPath,
      ...args,
      host,
      '80',
      String(conns),
      String(seconds),
      String(timeoutMs),
      String(pauseMs),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT },
  );
  return collect(child, (out, err, code) => {
    if (code !== 0) throw new Error(`the probe failed (exit ${code}): ${err}`);
    return JSON.parse(out) as ProbeResult;
  });
}

function collect<T>(child: ChildProcess, done: (out: string, err: string, code: number | null) => T): Promise<T> {
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('close', (code) => {
      try {
        resolve(done(out, err, code));
      } catch (e) {
        reject(e as Error);
      }
    });
  });
}
