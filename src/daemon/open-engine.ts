// openEngine: the first half of starting the packet engine in tsvsd: capabilities, the director's
// ip_forward turned off (net.ipv4.ip_forward, devinet_sysctl_forward() in net/ipv4/devinet.c;
// restored on stop) and the packet backend opened (native AF_PACKET, else libpcap). Frames queue
// in the backend until startEngine (engine-runner.ts); a successor taking over (handover.ts) opens
// its backend before the predecessor stops.

import { readFileSync, writeFileSync } from 'node:fs';
import type { Logger } from '../lib/logger.ts';
import { assertEngineCaps } from './caps.ts';
import type { EngineConfig } from '../datapath/engine-config.ts';
import { AfPacketIo } from '../io/af-packet.ts';
import type { PacketIo } from '../datapath/packet-io.ts';
import { PcapIo } from '../io/pcap-io.ts';

const IP_FORWARD = '/proc/sys/net/ipv4/ip_forward';

/** The first half of a start: the director's kernel settings and the packet backend, opened. */
export interface OpenedEngine {
  readonly io: PacketIo;
  /** ip_forward before tsvsd turned it off ('0' when it was off). */
  readonly ipForward: string;
}

/**
 * The director's kernel must not forward what tsvs forwards (it drops its copy silently when it
 * neither owns the address nor forwards): forwarding goes off in this namespace. Returns what
 * ip_forward was ('0' when it was off already), for restoreForwarding.
 */
export function turnForwardingOff(log: Logger): string {
  const was = readFileSync(IP_FORWARD, 'utf8').trim();
  if (was === '0') return was;
  writeFileSync(IP_FORWARD, '0\n');
  log.info('kernel forwarding turned off in this namespace while tsvsd runs', { was });
  return was;
}

/** Puts ip_forward back to what turnForwardingOff returned; nothing to do when it was off. */
export function restoreForwarding(was: string): void {
  if (was !== '0') writeFileSync(IP_FORWARD, `${was}\n`);
}

function openIo(cfg: EngineConfig, log: Logger, backend: string): PacketIo {
  const names = cfg.ports.map((p) => p.name);
  if (backend === 'pcap') return PcapIo.open(names);
  try {
    return AfPacketIo.open(names, {
      ...(cfg.busyPollUs !== undefined ? { spinUs: cfg.busyPollUs } : {}),
      ...(cfg.pollIntervalUs !== undefined ? { pollIntervalUs: cfg.pollIntervalUs } : {}),
      ...(cfg.jumboSlots !== undefined ? { jumboSlots: cfg.jumboSlots } : {}),
    });
  } catch (e) {
    if (backend === 'native') throw e;
    log.warn('native AF_PACKET backend unavailable; falling back to libpcap', { error: (e as Error).message });
    return PcapIo.open(names);
  }
}

/** Capabilities, ip_forward off, the packet backend open: frames queue in it until startEngine. */
export function openEngine(cfg: EngineConfig, log: Logger, backend = 'auto'): OpenedEngine {
  assertEngineCaps();
  const ipForward = turnForwardingOff(log);
  try {
    return { io: openIo(cfg, log, backend), ipForward };
  } catch (e) {
    restoreForwarding(ipForward);
    throw e;
  }
}
