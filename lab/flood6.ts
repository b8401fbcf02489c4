// An IPv6 SYN flood in the lab, bounded: hping3 speaks IPv4 only, so the IPv6 flood is THC's
// `thcsyn6 -r` (Debian's thc-ipv6, installed as atk6-thcsyn6), which sends TCP SYNs from random
// sources in the /64 of its interface's address and random ports. It runs in the flooder
// namespace of lab/flood.ts, on a /64 of that link only (2001:db8:fe::/64): the client forwards
// the flood to lvs1, and nothing in the lab routes that prefix anywhere else, so the random
// sources never leave the lab's namespaces (the director's cookie SYN-ACKs to them find no route).
import type { ChildProcess } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import { VIP6, noDad } from './ipv6.ts';
import { ip, macOf, nsExec, spawnInNs } from './netns.ts';
import type { LabTopology } from './topology.ts';

/** The flooder link's /64: the client's end, and the flooder's own address (the -r prefix). */
export const FLOOD6_GW = '2001:db8:fe::1';
export const FLOOD6_SRC = '2001:db8:fe::2';

/** The binary of THC's SYN flooder as Debian installs it. */
export const THCSYN6 = 'atk6-thcsyn6';

/** Why an IPv6 flood cannot run here, or null. */
export function thcsyn6Missing(): string | null {
  const found = spawnSync('sh', ['-c', `command -v ${THCSYN6}`], { stdio: 'ignore' }).status === 0;
  return found ? null : `${THCSYN6} is not installed (apt-get install thc-ipv6)`;
}

/**
 * IPv6 on the flooder link that addFlooder() made: the client forwards IPv6 (its default route
 * already goes to lvs1, lab/ipv6.ts), the flooder routes everything through the client. The lab
 * must be up dual-stack. The caller deletes the flooder namespace (delNetns).
 */
export function addFlooder6(lab: LabTopology, flooder: string): void {
  noDad(flooder);
  ip('-n', lab.client, '-6', 'addr', 'add', `${FLOOD6_GW}/64`, 'dev', 'fl0', 'nodad');
  nsExec(lab.client, 'sysctl', '-qw', 'net.ipv6.conf.all.forwarding=1');
  ip('-n', flooder, '-6', 'addr', 'add', `${FLOOD6_SRC}/64`, 'dev', 'eth0', 'nodad');
  ip('-n', flooder, '-6', 'route', 'add', 'default', 'via', FLOOD6_GW);
}

/**
 * `timeout SECONDS atk6-thcsyn6 -r -m MAC eth0 VIP6 80` in the flooder namespace: SYNs from
 * random sources of 2001:db8:fe::/64 and random ports to [VIP6]:80, as fast as it can send, the
 * frames addressed to the client's end of the link (-m, so that it sends no solicitation first).
 */
export function startFlood6(lab: LabTopology, flooder: string, seconds: number): ChildProcess {
  const gwMac = macOf(lab.client, 'fl0');
  return spawnInNs(flooder, 'timeout', [String(seconds), THCSYN6, '-r', '-m', gwMac, 'eth0', VIP6, '80']);
}
