// HaDirector: one director of the HA lab (lab/ha-topology.ts): its tsvsd, its keepalived
// (lab/ha-keepalived.ts writes the config), the notify script through which keepalived hands its
// VRRP state to tsvsd, and a `tsvsadm` wrapper naming this director's socket. Everything lives in
// the director's state directory; processes are started inside its namespace and killed by PID.

import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { binArgs, ROOT } from './lab-daemon.ts';
import { isAlive, tryKill } from './netns.ts';
import { keepalivedConf, SYNC_ID, VRRP_FIFO, type VrrpOptions } from './ha-keepalived.ts';

/** One keepalived notify, as the notify script logged it: when, and the state it was called with. */
export interface NotifyEvent {
  readonly atMs: number;
  readonly state: string;
}

export class HaDirector {
  readonly dir: string;
  readonly socket: string;

  constructor(
    readonly name: 'lvs1' | 'lvs2',
    readonly ns: string,
    stateDir: string,
  ) {
    this.dir = join(stateDir, name);
    this.socket = join(this.dir, 'tsvsd.sock');
  }

  get tsvsadmPath(): string {
    return join(this.dir, 'tsvsadm');
  }

  get notifyLog(): string {
    return join(this.dir, 'vrrp-states.log');
  }

  private pidIn(file: string): number | null {
    const p = join(this.dir, file);
    if (!existsSync(p)) return null;
    const pid = Number(readFileSync(p, 'utf8').trim());
    return pid > 0 && isAlive(pid) ? pid : null;
  }

  tsvsdPid(): number | null {
    return this.pidIn('tsvsd.pid');
  }

  /** keepalived's parent and its VRRP child (--pid and --vrrp_pid files). */
  keepalivedPids(): number[] {
    return [this.pidIn('vrrp.pid'), this.pidIn('keepalived.pid')].filter((p): p is number => p !== null);
  }

  /**
   * The wrapper and the notify script. tsvsd takes the VRRP state from its own notify FIFO
   * (answering for the VIP, gratuitous ARP); the script does the rest of what keepalived does
   * itself on a kernel director (vrrp_state_become_master / vrrp_state_leave_master, see the
   * ipvs-cluster notes 5.1): the sync daemons, MASTER stops the backup daemon and starts the
   * master one, BACKUP the other way round; FAULT and STOP leave them as they are. It logs when
   * it read each state (the notify log), which is when keepalived decided, give or take a fork.
   */
  writeScripts(sync: boolean): void {
    mkdirSync(this.dir, { recursive: true });
    const node = process.execPath;
    const args = binArgs('tsvsadm')
      .map((a) => `'${a}'`)
      .join(' ');
    writeFileSync(
      this.tsvsadmPath,
      `#!/bin/sh\n# tsvsadm for ${this.name}'s tsvsd (written by lab/ha-director.ts)\ncd '${ROOT}' && exec '${node}' ${args} --socket '${this.socket}' "$@"\n`,
    );
    chmodSync(this.tsvsadmPath, 0o755);
    const t = this.tsvsadmPath;
    const daemon = `--mcast-interface eth1 --syncid ${SYNC_ID}`;
    const syncPart = sync
      ? `case "$1" in
  master) '${t}' --stop-daemon backup; '${t}' --start-daemon master ${daemon} ;;
  backup) '${t}' --stop-daemon master; '${t}' --start-daemon backup ${daemon} ;;
esac
`
      : '# --no-sync: no connection sync daemons\n';
    writeFileSync(
      join(this.dir, 'notify.sh'),
      `#!/bin/sh
# ${this.name}'s VRRP state changed (notify-fifo.sh, in keepalived's order): $1 = the new state
exec >> '${join(this.dir, 'notify.log')}' 2>&1
echo "$(date +%s%3N) $1" >> '${this.notifyLog}'
echo "== $(date +%T.%N) $1"
${syncPart}`,
    );
    chmodSync(join(this.dir, 'notify.sh'), 0o755);
    writeFileSync(
      this.fifoReader,
      `#!/bin/sh
# keepalived's vrrp_notify_fifo_script for ${this.name}: $1 is the FIFO; one line per state change,
# e.g. INSTANCE "VI_1" MASTER 150, handled in order, one at a time
while read -r type name state priority; do
  case "$state" in
    MASTER|BACKUP|FAULT|STOP) '${join(this.dir, 'notify.sh')}' "$(echo "$state" | tr A-Z a-z)" ;;
  esac
done < "$1"
`,
    );
    chmodSync(this.fifoReader, 0o755);
  }

  get fifoReader(): string {
    return join(this.dir, 'notify-fifo.sh');
  }

  /** Start tsvsd in the director's namespace with the lab's shared config; resolves when it answers. */
  async startTsvsd(configPath: string, extra: readonly string[] = []): Promise<number> {
    mkdirSync(this.dir, { recursive: true });
    const log = openSync(join(this.dir, 'tsvsd.log'), 'a');
    const child = spawn(
      'ip',
      [
        'netns',
        'exec',
        this.ns,
        process.execPath,
        ...binArgs('tsvsd'),
        '--config',
        configPath,
        '--rules',
        join(this.dir, 'rules'),
        '--socket',
        this.socket,
        ...extra,
      ],
      { stdio: ['ignore', log, log], detached: true, cwd: ROOT },
    );
    child.unref();
    writeFileSync(join(this.dir, 'tsvsd.pid'), String(child.pid));
    for (let i = 0; i < 300; i++) {
      if (existsSync(this.socket) && this.tsvsadm(['-Ln']).status === 0) return child.pid!;
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`tsvsd did not start in ${this.ns}; its log:\n${this.log('tsvsd.log')}`);
  }

  /**
   * `tsvsd --takeover` on this director: a second tsvsd with the same arguments takes the engine
   * over from the running one (src/daemon/handover.ts). Resolves with the new pid once the old
   * one has exited and the new one answers.
   */
  async takeover(configPath: string): Promise<number> {
    const old = this.tsvsdPid();
    if (old === null) throw new Error(`${this.name} has no running tsvsd to take over from`);
    const pid = await this.startTsvsd(configPath, ['--takeover']);
    for (let i = 0; i < 300; i++) {
      if (!isAlive(old) && isAlive(pid) && this.tsvsadm(['-Ln']).status === 0) return pid;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`tsvsd --takeover did not replace ${old} in ${this.ns}; its log:\n${this.log('tsvsd.log')}`);
  }

  /** Start keepalived (VRRP only) in the director's namespace; it runs the notify script. */
  startKeepalived(vrrp: VrrpOptions): void {
    const conf = join(this.dir, 'keepalived.conf');
    writeFileSync(
      conf,
      keepalivedConf(
        this.name,
        { tsvsd: join(this.dir, VRRP_FIFO), fifo: join(this.dir, 'notify.fifo'), reader: this.fifoReader },
        vrrp,
      ),
    );
    const log = openSync(join(this.dir, 'keepalived.log'), 'a');
    const child = spawn(
      'ip',
      [
        'netns',
        'exec',
        this.ns,
        'keepalived',
        '--vrrp',
        '--dont-fork',
        '--log-console',
        '--log-detail',
        `--use-file=${conf}`,
        `--pid=${join(this.dir, 'keepalived.pid')}`,
        `--vrrp_pid=${join(this.dir, 'vrrp.pid')}`,
      ],
      { stdio: ['ignore', log, log], detached: true },
    );
    child.unref();
  }

  /**
   * The director crashes: kill -9 of keepalived (parent and VRRP child) and tsvsd, by PID. All are
   * stopped first, so that neither keepalived process reacts to the other's death: the parent
   * would respawn its VRRP child, and the child, on its parent's death (PR_SET_PDEATHSIG), would
   * shut down cleanly and send a priority-0 advert, a handover rather than a crash.
   */
  crash(): number[] {
    const pids = [...this.keepalivedPids(), ...[this.tsvsdPid()].filter((p): p is number => p !== null)];
    for (const p of pids) tryKill(p, 'SIGSTOP');
    for (const p of pids) tryKill(p, 'SIGKILL');
    return pids;
  }

  /** The notify calls keepalived made so far, oldest first. */
  notifies(): NotifyEvent[] {
    if (!existsSync(this.notifyLog)) return [];
    return readFileSync(this.notifyLog, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => {
        const [ms, state] = l.split(' ');
        return { atMs: Number(ms), state: (state ?? '').toUpperCase() };
      });
  }

  /** keepalived's last state as its notify script saw it ("" before the first notify). */
  vrrpState(): string {
    return this.notifies().at(-1)?.state ?? '';
  }

  tsvsadm(args: readonly string[]): { status: number; stdout: string; stderr: string } {
    const r = spawnSync(this.tsvsadmPath, args, { encoding: 'utf8', timeout: 30_000 });
    return { status: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  }

  log(file: string): string {
    const p = join(this.dir, file);
    return existsSync(p) ? readFileSync(p, 'utf8') : '';
  }

  /** Forget the previous run's notify log (before keepalived starts again). */
  resetNotifies(): void {
    rmSync(this.notifyLog, { force: true });
  }
}
