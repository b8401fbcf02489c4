// tsvsadm's own commands beyond ipvsadm's (not in ipvsadm's option grid, so they stand alone):
//   tsvsadm --health     the health-check state of every real server (tsvsd --health FILE)
//   tsvsadm --engine     packet engine counters: frames, drops by reason, connections, the SYN-flood
//                        defence (levels, free entries, embryonic quota), the SYN proxy, ARP table,
//                        interfaces
//   tsvsadm --capture PREFIX [SECONDS]   write what enters and leaves the director to
//                        PREFIX-in.pcap and PREFIX-out.pcap for SECONDS (default 10)
//   tsvsadm --top [SECONDS]  a live view of services and real servers (cli-top.ts)
//   tsvsadm --sync       the connection sync daemons (-L --daemon) with their counters

import { resolve as resolvePath } from 'node:path';
import type { ControlClient } from '../wire/client.ts';
import type { CliIo } from './cli-report.ts';
import { runTop } from './cli-top.ts';
import { formatDaemons } from './format-daemon.ts';
import { ipToString } from '../lib/inet.ts';

export const EXTENSIONS = ['--health', '--engine', '--capture', '--top', '--sync'] as const;

interface HealthRow {
  service: string;
  dest: string;
  alive: boolean;
  weight: number;
  failures: number;
}

export function formatHealth(rows: readonly HealthRow[]): string {
  let out = 'Virtual Server            Real Server              State  Weight Failures\n';
  for (const r of rows) {
    out += `${r.service.padEnd(25)} ${r.dest.padEnd(24)} ${(r.alive ? 'UP' : 'DOWN').padEnd(6)} ${String(r.weight).padEnd(6)} ${r.failures}\n`;
  }
  return out;
}

/** The defence block of engine.stats in the words of the sysctls (net.ipv4.vs.*). */
export function formatDefense(d: Record<string, unknown>): string[] {
  const n = (k: string): string => String(d[k] ?? '?');
  const onOff = (k: string): string => (d[k] === true ? 'on' : 'off');
  return [
    'defense:',
    `  drop_entry ${n('dropEntry')}  drop_packet ${n('dropPacket')}  secure_tcp ${n('secureTcp')}  amemthresh ${n('amemthresh')}  am_droprate ${n('amDroprate')}`,
    `  free entries ${n('freeEntries')} (nomem ${d['nomem'] === true ? 'yes' : 'no'})  drop_entry ${onOff('dropentryOn')}  drop rate ${n('dropRate')}  tcp_states_dos ${onOff('secureTcpOn')}`,
    `  dropped packets ${n('packetsDropped')}  dropped entries ${n('entriesDropped')}`,
    `  embryonic ${n('embryonic')} of quota ${n('embryonicQuota')}  recycled ${n('embryonicRecycled')}`,
  ];
}

/** The SYN proxy block of engine.stats (src/datapath/synproxy.ts). */
export function formatSynproxy(d: Record<string, unknown>): string[] {
  const n = (k: string): string => String(d[k] ?? '?');
  return [
    'synproxy:',
    `  cookies sent ${n('cookiesSent')}  validated ${n('cookiesValidated')}  failed ${n('cookiesFailed')}  segments kept ${n('segmentsKept')}  handshakes pending ${n('pendingHandshakes')}`,
    `  auto: engaged services ${n('engagedServices')}  engagements ${n('engagements')}  thresholds ${n('svcThreshold')} per service, ${n('globalThreshold')} global (embryonic entries)`,
  ];
}

export function formatEngine(s: Record<string, unknown>): string {
  const lines: string[] = [];
  for (const [k, v] of Object.entries(s)) {
    if (k === 'synproxy' && typeof v === 'object' && v !== null && !Array.isArray(v)) {
      lines.push(...formatSynproxy(v as Record<string, unknown>));
    } else if (k === 'defense' && typeof v === 'object' && v !== null && !Array.isArray(v)) {
      lines.push(...formatDefense(v as Record<string, unknown>));
    } else if ((k === 'neighbours' || k === 'neighbours6') && Array.isArray(v)) {
      lines.push(`${k}:`);
      for (const n of v as { ip: number | string; mac: string; state: number; port: number }[]) {
        const ip = typeof n.ip === 'string' ? n.ip : ipToString(n.ip);
        lines.push(`  ${ip} ${n.mac} port ${n.port} state ${n.state}`);
      }
    } else if (k === 'interfaces' && Array.isArray(v)) {
      lines.push('interfaces:');
      for (const l of v as { name: string; up: boolean; ifindex: number; losses: number; reattaches: number }[]) {
        const state = l.up ? 'up' : 'GONE (waiting for it to return)';
        lines.push(`  ${l.name} ${state} ifindex ${l.ifindex} lost ${l.losses} reattached ${l.reattaches}`);
      }
    } else lines.push(`${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  }
  return `${lines.join('\n')}\n`;
}

export async function runExtension(
  which: string,
  c: ControlClient,
  io: CliIo,
  args: readonly string[] = [],
): Promise<number> {
  if (which === '--capture') {
    const prefix = args[0];
    const seconds = Number(args[1] ?? 10);
    if (prefix === undefined || !(seconds > 0)) {
      io.stderr('tsvsadm: --capture needs PREFIX [SECONDS], e.g. tsvsadm --capture /tmp/lvs 10\n');
      return 2;
    }
    const r = await c.request<{ files: string[] }>('capture', { prefix: resolvePath(prefix), seconds });
    io.stdout(`capturing for ${seconds} s to ${r.files.join(' and ')}\n`);
    return 0;
  }
  if (which === '--top') return runTop(c, io, args);
  if (which === '--sync') {
    const out = formatDaemons(await c.request<unknown>('daemon.list'), true);
    io.stdout(out === '' ? 'no sync daemon running\n' : out);
    return 0;
  }
  if (which === '--health') {
    try {
      io.stdout(formatHealth(await c.request<HealthRow[]>('health')));
    } catch (e) {
      if ((e as { code?: string }).code === 'EBADOP') {
        io.stderr('tsvsadm: tsvsd runs no health checks (start it with --health FILE)\n');
        return 1;
      }
      throw e;
    }
    return 0;
  }
  io.stdout(formatEngine(await c.request<Record<string, unknown>>('engine.stats')));
  return 0;
}
