// kernel-filter: an nftables netdev ingress table that keeps the director's kernel from
// processing its own copy of the frames tsvs handles. (No kernel file mirrored: in IPVS the kernel
// *is* the director, so there is no second copy.)
//
// An AF_PACKET socket bound to ETH_P_ALL is a ptype_all tap: __netif_receive_skb_core() hands it
// every frame before the ingress hook (tc, then nftables netdev) and before ip_rcv(). Without this
// table the kernel then runs ip_rcv() on every frame tsvs forwards, routes it, and drops it
// (ip_forward=0 and it does not own the VIP: ip_error() counts it, silently), about 1 us of softirq
// per frame, which on a loaded box is CPU taken from the client and the servers. The table drops
// IPv4 unicast for addresses the kernel does not own, at ingress, which is what the kernel itself
// would end up doing while tsvsd runs (open-engine.ts turns ip_forward off):
//
//   table netdev tsvsd
//     chain in_<ifname>      hook ingress device <ifname>, one per tsvs interface
//       meta protocol != ip accept                  ARP, IPv6, LLDP...: the kernel's as before
//                                                   (!= { ip, ip6 } when tsvs owns IPv6 addresses)
//       fib daddr type { local, broadcast, multicast } accept   the DIP, health-check replies
//       counter drop                                the VIPs, full-NAT addresses, client-bound replies
//
// IPv6 joins when tsvs owns IPv6 addresses: a director kernel without forwarding answers a
// unicast packet to an address it neither owns nor routes with ICMPv6 "no route" (ip6_pkt_drop
// in net/ipv6/route.c), which would reach the real servers about their own replies and abort
// their handshakes; link-local and multicast (neighbour discovery, MLD) stay the kernel's.
//
// `fib` is evaluated per frame, so addresses added to the kernel later are let through at once.
// The table is replaced atomically at start (a stale one from a crashed tsvsd goes too) and
// deleted at stop; `nft list table netdev tsvsd` shows its drop counters. Without nft, or where
// the kernel lacks netdev/fib support, tsvsd logs why and runs without it: the kernel then drops
// its copy itself, only later and at a higher cost.

import { execFile, execFileSync } from 'node:child_process';
import type { Logger } from '../lib/logger.ts';
import type { EngineConfig } from '../datapath/engine-config.ts';

const KERNEL_FILTER_TABLE = 'tsvsd';

/** Whether the config owns IPv6 addresses (the filter then covers IPv6 too). */
export function ownsIpv6(cfg: EngineConfig): boolean {
  return (cfg.fullNatAddrs6?.length ?? 0) > 0 || cfg.ports.some((p) => (p.owned6?.length ?? 0) > 0);
}

/** The nft script: replace table netdev tsvsd with one ingress chain per interface. */
export function kernelFilterScript(ifnames: readonly string[], ipv6 = false): string {
  const chains = ifnames.map((name) =>
    [
      `  chain in_${name.replace(/[^A-Za-z0-9_]/g, '_')} {`,
      `    type filter hook ingress device ${JSON.stringify(name)} priority -500; policy accept;`,
      ipv6 ? '    meta protocol != { ip, ip6 } accept' : '    meta protocol != ip accept',
      '    fib daddr type { local, broadcast, multicast } accept',
      '    counter drop',
      '  }',
    ].join('\n'),
  );
  // "table; delete table; table {...}" in one transaction: idempotent and atomic.
  return `table netdev ${KERNEL_FILTER_TABLE}\ndelete table netdev ${KERNEL_FILTER_TABLE}\ntable netdev ${KERNEL_FILTER_TABLE} {\n${chains.join('\n')}\n}\n`;
}

function nft(script: string): void {
  execFileSync('nft', ['-f', '-'], { input: script, stdio: ['pipe', 'ignore', 'pipe'], timeout: 5000 });
}

/** nft without blocking the event loop: the packet engine forwards while nft runs. */
function nftAsync(script: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile('nft', ['-f', '-'], { timeout: 5000 }, (e, _out, stderr) =>
      e === null ? resolve() : reject(Object.assign(e, { stderr: Buffer.from(stderr) })),
    );
    child.stdin?.on('error', () => undefined).end(script);
  });
}

function why(e: unknown): string {
  const err = e as { code?: string; stderr?: Buffer; message?: string };
  if (err.code === 'ENOENT') return 'nft is not installed (apt-get install nftables)';
  const text = err.stderr?.toString().trim();
  return text !== undefined && text !== '' ? text.split('\n')[0]! : (err.message ?? String(e));
}

export interface KernelFilter {
  remove(): void;
}

/**
 * Installs the table for ifnames; null (and a warning) when nft cannot. Asynchronous: tsvsd
 * starts forwarding before nft has run (a restart's outage does not wait for nft); until then the
 * table of the previous tsvsd, if it was not removed, still filters, and otherwise the kernel
 * drops its copies itself.
 */
export async function installKernelFilter(
  ifnames: readonly string[],
  log: Logger,
  ipv6 = false,
): Promise<KernelFilter | null> {
  try {
    await nftAsync(kernelFilterScript(ifnames, ipv6));
  } catch (e) {
    log.warn('kernel ingress filter not installed; the kernel drops its copy of each frame itself, at a higher cost', {
      reason: why(e),
    });
    return null;
  }
  log.info('kernel ingress filter installed (nft table netdev tsvsd)', { interfaces: ifnames.join(',') });
  return {
    remove() {
      try {
        nft(`delete table netdev ${KERNEL_FILTER_TABLE}\n`);
      } catch (e) {
        log.warn('could not remove the kernel ingress filter', { reason: why(e) });
      }
    },
  };
}
