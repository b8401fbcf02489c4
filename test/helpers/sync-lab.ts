// Helpers of the connection sync lab tests (test/lab/sync.test.ts, sync6.test.ts): their two
// directors' topology, tsvsd started from a config in a namespace and waited for on its control
// socket, tsvsadm against a socket, the first sync daemon's counters, and -Lc's expire column.

import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { binArgs } from '../../lab/lab-daemon.ts';
import { addSwitch, ip, type NsSet } from '../../lab/netns.ts';
import { ControlClient } from '../../src/wire/client.ts';
import { waitFor } from './wait-for.ts';

export function tsvsadm(socket: string, args: readonly string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [...binArgs('tsvsadm'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, TSVS_SOCKET: socket },
  });
  return { status: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** The first daemon's counters (daemon.list over the control socket). */
export async function syncStats(socket: string): Promise<Record<string, number>> {
  const c = await ControlClient.connect(socket);
  try {
    const list = await c.request<{ stats: Record<string, number> }[]>('daemon.list');
    return list[0]?.stats ?? {};
  } finally {
    c.close();
  }
}

/**
 * daemon.start over the control socket, as `tsvsadm --start-daemon` asks it. Asked right after
 * tsvsd answers -Ln, while its workers may still be starting: tsvsd holds the request until its
 * start is over (src/daemon/start-gate.ts), so it must succeed the first time.
 */
export async function startSyncDaemon(socket: string, args: Record<string, unknown>): Promise<void> {
  const c = await ControlClient.connect(socket);
  try {
    await c.request('daemon.start', args);
  } finally {
    c.close();
  }
}

/** "mm:ss" of -Lc's expire column in seconds. */
export function seconds(mmss: string): number {
  const [m, s] = mmss.split(':').map(Number);
  return m! * 60 + s!;
}

/**
 * tsvsd `name` in namespace nsName with config text `conf` (written to dir/name.conf), its rules
 * file and control socket in dir; resolves once the socket answers, with the socket's path and
 * the child (to kill it by its pid).
 */
export async function startTsvsd(
  ns: NsSet,
  nsName: string,
  dir: string,
  name: string,
  conf: string,
): Promise<{ socket: string; child: ChildProcess }> {
  const path = join(dir, `${name}.conf`);
  const socket = join(dir, `${name}.sock`);
  writeFileSync(path, conf);
  const child = ns.spawn(nsName, process.execPath, [
    ...binArgs('tsvsd'),
    '--config',
    path,
    '--rules',
    join(dir, `${name}.rules`),
    '--socket',
    socket,
  ]);
  let log = '';
  child.stderr!.on('data', (b: Buffer) => (log += b.toString()));
  const ping = async (): Promise<boolean> => {
    const cl = await ControlClient.connect(socket);
    cl.close();
    return true;
  };
  await waitFor(`tsvsd ${name} answering`, ping, { timeoutMs: 40_000, intervalMs: 200 }).catch((e: unknown) => {
    throw new Error(`${(e as Error).message}\n${log}`);
  });
  return { socket, child };
}

/** The namespaces of twoDirectors. */
export interface TwoDirectors {
  readonly client: string;
  readonly lvs1: string;
  readonly lvs2: string;
  readonly web: string;
  readonly sw88: string;
  readonly sw99: string;
}

/**
 * Two directors between two switches, no addresses yet: client -- sw88 -- eth0 of lvs1 and lvs2,
 * whose eth1 share sw99 with the real server web (the sync group runs on that segment).
 */
export function twoDirectors(ns: NsSet): TwoDirectors {
  const h = {
    client: ns.add('cl'),
    lvs1: ns.add('l1'),
    lvs2: ns.add('l2'),
    web: ns.add('w'),
    sw88: ns.add('s88'),
    sw99: ns.add('s99'),
  };
  ns.veth(h.client, 'eth0', h.sw88, 'p-cl');
  ns.veth(h.lvs1, 'eth0', h.sw88, 'p-l1');
  ns.veth(h.lvs2, 'eth0', h.sw88, 'p-l2');
  ns.veth(h.lvs1, 'eth1', h.sw99, 'p-l1');
  ns.veth(h.lvs2, 'eth1', h.sw99, 'p-l2');
  ns.veth(h.web, 'eth1', h.sw99, 'p-w');
  addSwitch(h.sw88, ['p-cl', 'p-l1', 'p-l2']);
  addSwitch(h.sw99, ['p-l1', 'p-l2', 'p-w']);
  return h;
}

/**
 * The IPv4 addresses of twoDirectors' hosts, as the sync tests use them: the client CIP behind the
 * VIP, lvs1 192.168.99.5 (the real server's gateway) and lvs2 192.168.99.4 on the sync segment,
 * and the real server RIP answering "web1" on port 80.
 */
export function ipv4Hosts(ns: NsSet, h: TwoDirectors, vip: string, cip: string, rip: string): void {
  ip('-n', h.client, 'addr', 'add', `${cip}/24`, 'dev', 'eth0');
  ip('-n', h.client, 'route', 'add', 'default', 'via', vip);
  ip('-n', h.lvs1, 'addr', 'add', '192.168.99.5/24', 'dev', 'eth1');
  ip('-n', h.lvs2, 'addr', 'add', '192.168.99.4/24', 'dev', 'eth1');
  ip('-n', h.web, 'addr', 'add', `${rip}/24`, 'dev', 'eth1');
  ip('-n', h.web, 'route', 'add', 'default', 'via', '192.168.99.5');
  const webScript = new URL('../../lab/web-server.ts', import.meta.url).pathname;
  ns.spawn(h.web, process.execPath, ['--import', 'tsx', webScript, 'web1', rip, '80']);
}

/**
 * A keep-alive client for `node -e`: two requests over one connection to host:80 (SYN, ACK, two
 * GETs and their ACKs: at least 3 inbound packets, the sync threshold), then "ready PORT", and
 * the connection held open for holdMs at most.
 */
export function twoRequestsJs(host: string, holdMs: number): string {
  return `
    const net = require('node:net');
    const s = net.connect({ host: '${host}', port: 80 });
    let n = 0, buf = '';
    const ask = () => s.write('GET / HTTP/1.1\\r\\nHost: lab\\r\\n\\r\\n');
    s.on('connect', ask);
    s.on('data', (b) => {
      buf += b;
      if (!buf.includes('web1\\n')) return;
      buf = '';
      if (++n < 2) ask(); else console.log('ready ' + s.localPort);
    });
    s.on('error', (e) => { console.log('error ' + e.message); process.exit(1); });
    setTimeout(() => process.exit(0), ${holdMs});`;
}
