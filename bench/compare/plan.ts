// The plan of a bench/compare run: the tools it needs, a Peer object per peer name (the tsvs
// variants or a kernel / proxy peer), the order of the (round, peer) visits, and the report's
// header lines (versions, settings, the command). No kernel counterpart.

import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { UsageError, type Options } from './options.ts';
import { NftPeer, NonePeer, type Peer, type PeerContext } from './peers.ts';
import { HaproxyPeer, NginxStreamPeer } from './proxy-peers.ts';
import { TsvsDrPeer, TsvsPeer, TsvsTunPeer } from './tsvs-peer.ts';

export function need(cmds: readonly string[]): void {
  const missing = cmds.filter((c) => spawnSync('sh', ['-c', `command -v ${c}`], { stdio: 'ignore' }).status !== 0);
  if (missing.length > 0)
    throw new UsageError(
      `missing tools: ${missing.join(' ')} (run: node src/bin/ensure-setup.mjs bench; nginx stream also needs libnginx-mod-stream)`,
    );
}

/** The kernel and proxy peers by name (tsvs ones: makePeer), or null. */
function kernelPeer(name: string, ctx: PeerContext): Peer | null {
  switch (name) {
    case 'none':
      return new NonePeer(ctx);
    case 'nft':
      return new NftPeer(ctx);
    case 'haproxy':
      return new HaproxyPeer(ctx);
    case 'nginx-stream':
      return new NginxStreamPeer(ctx);
    default:
      return null;
  }
}

export function makePeer(name: string, ctx: PeerContext, o: Options): Peer {
  const variant = o.variants.get(name);
  if (name === 'tsvs-dr') {
    return new TsvsDrPeer(ctx, { name, build: o.tsvsBuild, connCapacity: o.connCapacity, engineLines: [] });
  }
  if (name === 'tsvs-tun') {
    return new TsvsTunPeer(ctx, { name, build: o.tsvsBuild, connCapacity: o.connCapacity, engineLines: [] });
  }
  if (name === 'tsvs' || name === 'tsvs-fullnat' || name === 'tsvs-synproxy' || variant !== undefined) {
    return new TsvsPeer(ctx, {
      name,
      fwd: name === 'tsvs-fullnat' ? '-F' : '-m',
      synproxy: name === 'tsvs-synproxy',
      build: o.tsvsBuild,
      connCapacity: o.connCapacity,
      engineLines: variant ?? [],
    });
  }
  const p = kernelPeer(name, ctx);
  if (p === null) throw new UsageError(`unknown peer ${name}`);
  return p;
}

/** The (round, peer) visits in order: interleaved = every peer once per round. */
export function schedule(o: Options): [number, string][] {
  const out: [number, string][] = [];
  if (o.order === 'interleaved') for (let r = 1; r <= o.reps; r++) for (const p of o.peers) out.push([r, p]);
  else for (const p of o.peers) for (let r = 1; r <= o.reps; r++) out.push([r, p]);
  return out;
}

export function header(o: Options): string[] {
  const v = (cmd: string, args: string[]): string => {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    return `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n')[0]!.trim();
  };
  return [
    `- date: ${new Date().toISOString()}; kernel ${v('uname', ['-r'])}; ${v('nproc', [])} CPUs; node ${process.version}; load average before: ${readFileSync('/proc/loadavg', 'utf8').trim()}`,
    `- tools: ${v('wrk', ['-v'])}; ${v('iperf3', ['-v'])}; ${v('haproxy', ['-v'])}; ${v('nginx', ['-v'])}; ${v('nft', ['-v'])}`,
    `- command: node --import tsx bench/compare/run.ts ${process.argv.slice(2).join(' ')}`,
    `- settings: peers ${o.peers.join(',')}; reps ${o.reps} (${o.order}); wrk -t1 -c${o.conns} -d${o.durationS}s; iperf3 -t ${o.iperfS}; ` +
      `${o.curls} curls; offloads ${o.offloads}; lb-workers ${o.lbWorkers}; tsvs ${o.tsvsBuild}; idle <= ${o.idleMax}% (wait <= ${o.waitIdleS} s); drain ${o.drain}`,
  ];
}
