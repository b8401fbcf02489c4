// A SYN flood in the lab, bounded: a flooder namespace behind the client (its only route goes
// through the client into the director, so its random source addresses never leave the lab's
// namespaces) running `timeout SECONDS hping3 -S --flood --rand-source` at the VIP.
import { spawnInNs, addNetns, addVeth, ip, nsExec } from './netns.ts';
import { VIP, type LabTopology } from './topology.ts';
import type { ChildProcess } from 'node:child_process';

/** The flooder namespace of a lab, e.g. tsvs-flood. */
export function flooderName(lab: LabTopology): string {
  return `${lab.prefix}-flood`;
}

/**
 * A flooder namespace behind the client namespace, which forwards its packets to lvs1 and nowhere
 * else (the client's only other link is eth0, to lvs1). The caller deletes it (delNetns).
 */
export function addFlooder(lab: LabTopology, flooder: string): void {
  addNetns(flooder);
  addVeth(lab.client, 'fl0', flooder, 'eth0');
  ip('-n', lab.client, 'addr', 'add', '10.253.0.1/30', 'dev', 'fl0');
  ip('-n', lab.client, 'link', 'set', 'fl0', 'up');
  nsExec(
    lab.client,
    'sysctl',
    '-qw',
    'net.ipv4.ip_forward=1',
    'net.ipv4.conf.all.rp_filter=0',
    'net.ipv4.conf.fl0.rp_filter=0',
  );
  ip('-n', flooder, 'addr', 'add', '10.253.0.2/30', 'dev', 'eth0');
  ip('-n', flooder, 'link', 'set', 'eth0', 'up');
  ip('-n', flooder, 'route', 'add', 'default', 'via', '10.253.0.1');
}

/** `timeout SECONDS hping3 -q -S -p 80 --flood --rand-source VIP` in the flooder namespace. */
export function startFlood(flooder: string, seconds: number): ChildProcess {
  return spawnInNs(flooder, 'timeout', [
    String(seconds),
    'hping3',
    '-q',
    '-S',
    '-p',
    '80',
    '--flood',
    '--rand-source',
    VIP,
  ]);
}
