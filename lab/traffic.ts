// traffic: what the lab's client does — HTTP requests through the VIP, counted per real server.

import { spawnSync } from 'node:child_process';
import { VIP } from './topology.ts';

/** n requests from the client namespace, a new TCP connection each (curl; -g for [IPv6] URLs); counts by body. */
export function drive(clientNs: string, n: number, url = `http://${VIP}/`): Map<string, number> {
  const script = `for i in $(seq ${n}); do curl -g -s -m 2 ${url} || echo FAILED; done`;
  const r = spawnSync('ip', ['netns', 'exec', clientNs, 'bash', '-c', script], {
    encoding: 'utf8',
    timeout: 60_000 + n * 100,
  });
  const counts = new Map<string, number>();
  for (const line of (r.stdout ?? '').split('\n')) {
    const k = line.trim();
    if (k !== '') counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return counts;
}

export function ratioText(counts: Map<string, number>): string {
  const w1 = counts.get('web1') ?? 0;
  const w2 = counts.get('web2') ?? 0;
  const failed = counts.get('FAILED') ?? 0;
  const g = gcd(w1, w2) || 1;
  const ratio = w1 > 0 && w2 > 0 ? `  (web1:web2 = 1:${(w2 / w1).toFixed(2)})` : '';
  return `web1 ${w1}, web2 ${w2}${failed > 0 ? `, failed ${failed}` : ''}${ratio}${g > 1 && w1 / g < 10 ? `, i.e. ${w1 / g}:${w2 / g}` : ''}`;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}
