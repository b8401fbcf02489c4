// tun-decap: how an LVS-TUN real server in the lab takes the tunnel off. Where the kernel has the
// ipip module (`ip link add type ipip` works) it is the kernel's own tunl0 (and `ip fou add port
// 6080 gue` for GUE), as the LVS-HOWTO sets a real server up; where it has none, a tc ingress BPF
// program (tun-decap.bpf.c, built here with Debian's clang against libbpf's headers) strips the
// outer headers with bpf_skb_adjust_room(), as Katran's and Cilium's decapsulation does. Either
// way the inner packet goes up the real server's own kernel TCP/IP stack.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { arch } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './lab-daemon.ts';
import { nsExec } from './netns.ts';

export const GUE_PORT = 6080;
export type DecapKind = 'kernel' | 'bpf';

// From the repository root (lab-daemon.ts finds it from lab/ and from dist/lab/ alike).
const SOURCE = join(ROOT, 'lab', 'tun-decap.bpf.c');

function has(cmd: string): boolean {
  if (cmd.startsWith('/')) return existsSync(cmd);
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** Whether this kernel can make an IPIP device (CONFIG_NET_IPIP), tried in a throwaway namespace. */
export function kernelHasIpip(): boolean {
  const ns = `tsvs-ipipprobe-${process.pid}`;
  if (spawnSync('ip', ['netns', 'add', ns]).status !== 0) return false;
  try {
    return spawnSync('ip', ['-n', ns, 'link', 'add', 'probe0', 'type', 'ipip']).status === 0;
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
  }
}

/** Why the BPF decapsulation cannot be built here (clang or libbpf-dev missing), or null. */
export function bpfDecapUnavailable(): string | null {
  if (!has('clang')) return 'clang is missing (Debian: apt-get install clang)';
  if (!has('/usr/include/bpf/bpf_helpers.h')) return 'libbpf headers are missing (Debian: apt-get install libbpf-dev)';
  if (!has('tc')) return 'tc is missing (Debian: apt-get install iproute2)';
  return null;
}

/**
 * clang and libbpf-dev are installed on first use, for the TUN lab only (ensure-setup's `tun`
 * mode); null when they are there, else why not.
 */
export function ensureBpfDecap(): string | null {
  if (bpfDecapUnavailable() === null) return null;
  spawnSync(process.execPath, [join(ROOT, 'src', 'bin', 'ensure-setup.mjs'), 'tun'], {
    stdio: ['ignore', 'inherit', 'inherit'],
    timeout: 600_000,
  });
  const why = bpfDecapUnavailable();
  return why === null ? null : `${why}, and installing it failed`;
}

/** Compile tun-decap.bpf.c into dir; returns the object's path. */
export function buildBpfDecap(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const obj = join(dir, 'tun-decap.bpf.o');
  const multiarch = arch() === 'arm64' ? 'aarch64-linux-gnu' : 'x86_64-linux-gnu';
  const r = spawnSync(
    'clang',
    ['-O2', '-g', '-target', 'bpf', `-DGUE_PORT=${GUE_PORT}`, `-I/usr/include/${multiarch}`, '-c', SOURCE, '-o', obj],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`clang -target bpf ${SOURCE}: ${r.stderr}`);
  return obj;
}

/** The real server in ns takes IPIP and GUE off what reaches dev, by the kind of decapsulation given. */
export function setUpDecap(ns: string, dev: string, kind: DecapKind, obj: string): void {
  if (kind === 'kernel') {
    // tunl0 (the ipip module's fallback device) takes any IPIP packet for a local address; fou
    // hands GUE on GUE_PORT to it. The inner source arrives on tunl0 but routes back via dev:
    // rp_filter must be off there, as the LVS-HOWTO says for LVS-TUN real servers.
    spawnSync('ip', ['-n', ns, 'link', 'add', 'tunl0', 'type', 'ipip']); // exists already once loaded
    nsExec(ns, 'ip', 'link', 'set', 'tunl0', 'up');
    nsExec(ns, 'ip', 'fou', 'add', 'port', String(GUE_PORT), 'gue');
    nsExec(ns, 'sysctl', '-qw', 'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.tunl0.rp_filter=0');
    return;
  }
  nsExec(ns, 'tc', 'qdisc', 'add', 'dev', dev, 'clsact');
  nsExec(ns, 'tc', 'filter', 'add', 'dev', dev, 'ingress', 'bpf', 'direct-action', 'obj', obj, 'sec', 'tc');
}
