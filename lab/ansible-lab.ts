// AnsibleLab: the tutorial's Ansible deployment (deploy/ansible) run for real against the NAT lab.
// The topology comes up bare (no tsvsd, no nginx); a management switch joins every host on
// 10.254.0.0/24, a subnet that exists only inside the lab's namespaces; an sshd in each of lvs1,
// web1 and web2 listens only on its management address (a host key, a config and a client key
// made for the run, root login by key only, no PAM); ansible-playbook runs in the client
// namespace. The hosts share this machine's file system, so each gets its own root under
// /tmp/<prefix>-ansible-lab/<host> (tsvs_root, web_root): nothing is written to the real /etc.
//
//   client mgmt0 10.254.0.10 --+
//   lvs1   mgmt0 10.254.0.5  --+-- <prefix>-mgmt (bridge)   sshd on .5, .100, .200 port 22
//   web1   mgmt0 10.254.0.100 -+
//   web2   mgmt0 10.254.0.200 -+

import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './lab-daemon.ts';
import { addNetns, addSwitch, addVeth, delNetns, ip, isAlive, nsExists, sh, spawnInNs, tryKill } from './netns.ts';
import { LabTopology, RIP1, RIP2 } from './topology.ts';
import { parseRecap, type PlaybookRun } from './ansible-recap.ts';

export const MGMT_NET = '10.254.0';
const HOSTS = [
  ['lvs1', 5],
  ['web1', 100],
  ['web2', 200],
] as const;
export type AnsibleHost = (typeof HOSTS)[number][0];

export class AnsibleLab {
  readonly topo: LabTopology;
  readonly mgmt: string;
  /** Per-host roots (tsvs_root, web_root). */
  readonly rootDir: string;
  /** Keys, sshd configs and pid files, ansible's own state: made for each run, removed by down(). */
  readonly runDir: string;

  constructor(readonly prefix = 'tsvs') {
    this.topo = new LabTopology(prefix);
    this.mgmt = `${prefix}-mgmt`;
    this.rootDir = `/tmp/${prefix}-ansible-lab`;
    this.runDir = join('/run/tsvs-lab', `${prefix}-ansible`);
  }

  get namespaces(): string[] {
    return [...this.topo.namespaces, this.mgmt];
  }

  anyLeft(): boolean {
    return this.topo.anyLeft() || nsExists(this.mgmt) || existsSync(this.runDir) || existsSync(this.rootDir);
  }

  hostRoot(host: AnsibleHost): string {
    return join(this.rootDir, host);
  }

  nsOf(host: AnsibleHost | 'client'): string {
    return `${this.prefix}-${host}`;
  }

  /** The control socket of the tsvsd the playbook starts on lvs1. */
  get socket(): string {
    return join(this.hostRoot('lvs1'), 'run', 'tsvs', 'tsvsd.sock');
  }

  /** Build the bare topology, the management network and the sshds. */
  up(): void {
    if (this.anyLeft()) this.down();
    try {
      this.topo.up({ web: 'none' });
      mkdirSync(this.runDir, { recursive: true, mode: 0o700 });
      chmodSync(this.runDir, 0o700);
      addNetns(this.mgmt);
      const ports: string[] = [];
      for (const [host, octet] of [['client', 10] as const, ...HOSTS]) {
        const ns = this.nsOf(host);
        addVeth(ns, 'mgmt0', this.mgmt, `m-${host}`);
        ports.push(`m-${host}`);
        ip('-n', ns, 'addr', 'add', `${MGMT_NET}.${octet}/24`, 'dev', 'mgmt0');
        ip('-n', ns, 'link', 'set', 'mgmt0', 'up');
      }
      addSwitch(this.mgmt, ports);
      sh('ssh-keygen', [
        '-q',
        '-t',
        'ed25519',
        '-N',
        '',
        '-C',
        `${this.prefix}-ansible`,
        '-f',
        this.file('id_ed25519'),
      ]);
      writeFileSync(this.file('authorized_keys'), readFileSync(this.file('id_ed25519.pub')), { mode: 0o600 });
      const known: string[] = [];
      for (const [host, octet] of HOSTS) {
        const addr = `${MGMT_NET}.${octet}`;
        const key = this.file(`host_${host}`);
        sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', host, '-f', key]);
        known.push(`${addr} ${readFileSync(`${key}.pub`, 'utf8').trim()}`);
        this.startSshd(host, addr, key);
      }
      writeFileSync(this.file('known_hosts'), `${known.join('\n')}\n`);
      for (const [host, octet] of HOSTS) waitSsh(this.nsOf(host), `${MGMT_NET}.${octet}`);
    } catch (e) {
      this.down();
      throw e;
    }
  }

  private file(name: string): string {
    return join(this.runDir, name);
  }

  private startSshd(host: AnsibleHost, addr: string, hostKey: string): void {
    const conf = this.file(`sshd_${host}.conf`);
    writeFileSync(
      conf,
      `# sshd of the lab host ${host}: its management address only, root by key only
ListenAddress ${addr}
Port 22
HostKey ${hostKey}
PidFile ${this.file(`sshd_${host}.pid`)}
AuthorizedKeysFile ${this.file('authorized_keys')}
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
Subsystem sftp internal-sftp
`,
    );
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // sshd's privilege-separation chroot
    const child = spawnInNs(this.nsOf(host), '/usr/sbin/sshd', ['-D', '-f', conf, '-E', this.file(`sshd_${host}.log`)]);
    child.unref();
    writeFileSync(this.file(`sshd_${host}.pid`), String(child.pid));
  }

  /** A second inventory that points the tutorial's hosts at the lab (later -i sources win). */
  inventory(): string {
    const py = 'ansible_python_interpreter=/usr/bin/python3';
    const r = (h: AnsibleHost): string => this.hostRoot(h);
    return `# The lab's overrides of deploy/ansible/inventory.ini (written by lab/ansible-lab.ts)
[directors]
lvs1 ansible_host=${MGMT_NET}.5 tsvs_root=${r('lvs1')} tsvs_service=foreground tsvs_npm_offline=true ${py}

[realservers]
web1 ansible_host=${MGMT_NET}.100 web_listen=${RIP1} web_root=${r('web1')} web_service=foreground ${py}
web2 ansible_host=${MGMT_NET}.200 web_listen=${RIP2} web_root=${r('web2')} web_service=foreground ${py}
`;
  }

  /** `npm pack` of this checkout (prepare builds dist/) into the run directory; the tarball's path. */
  pack(): string {
    const r = spawnSync('npm', ['pack', '--silent', '--pack-destination', this.runDir], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    const name = (r.stdout ?? '').trim().split('\n').pop() ?? '';
    if (r.status !== 0 || !name.endsWith('.tgz')) throw new Error(`npm pack failed: ${r.stderr || r.stdout}`);
    return join(this.runDir, name);
  }

  /** ansible-playbook site.yml from the client namespace; output is passed to onOutput as it comes. */
  playbook(tarball: string, onOutput: (s: string) => void = () => {}, timeoutMs = 240_000): Promise<PlaybookRun> {
    const dir = join(ROOT, 'deploy', 'ansible');
    writeFileSync(this.file('lab.ini'), this.inventory());
    for (const d of ['home', 'local', 'remote', 'cp']) mkdirSync(this.file(`ansible-${d}`), { recursive: true });
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ANSIBLE_CONFIG: join(dir, 'ansible.cfg'),
      ANSIBLE_HOME: this.file('ansible-home'),
      ANSIBLE_LOCAL_TEMP: this.file('ansible-local'),
      ANSIBLE_REMOTE_TEMP: this.file('ansible-remote'),
      ANSIBLE_SSH_CONTROL_PATH_DIR: this.file('ansible-cp'),
      ANSIBLE_PRIVATE_KEY_FILE: this.file('id_ed25519'),
      ANSIBLE_SSH_ARGS: `-o ControlMaster=auto -o ControlPersist=60s -o StrictHostKeyChecking=yes -o UserKnownHostsFile=${this.file('known_hosts')}`,
      ANSIBLE_NOCOLOR: '1',
    };
    const args = ['-i', join(dir, 'inventory.ini'), '-i', this.file('lab.ini'), '-f', '3'];
    args.push('-e', `tsvs_tarball=${tarball}`, join(dir, 'site.yml'));
    return new Promise((resolve) => {
      const child = spawn('ip', ['netns', 'exec', this.nsOf('client'), 'ansible-playbook', ...args], { env, cwd: dir });
      let output = '';
      const take = (b: Buffer): void => {
        output += b.toString();
        onOutput(b.toString());
      };
      child.stdout.on('data', take);
      child.stderr.on('data', take);
      const timer = setTimeout(() => child.pid !== undefined && tryKill(child.pid, 'SIGKILL'), timeoutMs);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ status: code ?? 1, output, recap: parseRecap(output) });
      });
    });
  }

  /** The installed tsvsadm, run in lvs1 against the tsvsd the playbook started. */
  tsvsadm(args: readonly string[]): string {
    const bin = join(this.hostRoot('lvs1'), 'usr', 'local', 'bin', 'tsvsadm');
    return sh('ip', ['netns', 'exec', this.nsOf('lvs1'), 'env', `TSVS_SOCKET=${this.socket}`, bin, ...args]);
  }

  /** Stop what the run started (sshd, tsvsd, nginx: by their pid files), remove everything. */
  down(): void {
    const pidFiles = [
      join(this.hostRoot('lvs1'), 'run', 'tsvs', 'tsvsd.pid'),
      join(this.hostRoot('web1'), 'run', 'tsvs-web', 'nginx.pid'),
      join(this.hostRoot('web2'), 'run', 'tsvs-web', 'nginx.pid'),
    ];
    if (existsSync(this.runDir))
      for (const f of readdirSync(this.runDir)) if (f.endsWith('.pid')) pidFiles.push(this.file(f));
    const pids = pidFiles.filter((f) => existsSync(f)).map((f) => Number(readFileSync(f, 'utf8').trim()));
    for (const pid of pids) if (pid > 0) tryKill(pid, 'SIGTERM');
    const deadline = Date.now() + 3000;
    while (pids.some((p) => p > 0 && isAlive(p)) && Date.now() < deadline) spawnSync('sleep', ['0.05']);
    for (const pid of pids) if (pid > 0 && isAlive(pid)) tryKill(pid, 'SIGKILL');
    // delNetns also stops what is left inside (nginx workers, ssh sessions and masters).
    this.topo.down();
    delNetns(this.mgmt);
    rmSync(this.runDir, { recursive: true, force: true });
    rmSync(this.rootDir, { recursive: true, force: true });
  }
}

function waitSsh(ns: string, addr: string): void {
  for (let i = 0; i < 100; i++) {
    const r = spawnSync('ip', ['netns', 'exec', ns, 'ss', '-Htln', '( sport = :22 )'], { encoding: 'utf8' });
    if ((r.stdout ?? '').includes(`${addr}:22`)) return;
    spawnSync('sleep', ['0.05']);
  }
  throw new Error(`sshd is not listening on ${addr}:22 in ${ns}`);
}
