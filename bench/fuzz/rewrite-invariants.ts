// The invariant of a TCP/UDP frame the director forwarded: NAT rewrites the MACs, the IP
// addresses, TTL and header checksum, the ports, the L4 checksum and, in full NAT, TCP timestamp
// values (the options); every other byte leaves as it came: the length, the rest of the IP
// header, sequence and acknowledgement numbers, data offset, flags, window, urgent pointer, the
// UDP length and the payload. A SYN proxy connection (src/datapath/synproxy.ts) also has its
// sequence and acknowledgement numbers and its window translated (SACK blocks are options).

import { ipv4Shape } from './frame-view.ts';

/** The first byte the rewrite changed that it must not, as a sentence, or null. */
export function checkRewrite(input: Uint8Array, output: Uint8Array, synproxy = false): string | null {
  const si = ipv4Shape(input);
  const so = ipv4Shape(output);
  if (si === null || so === null || si.proto !== so.proto || si.fragOff !== 0) return null;
  if (so.proto !== 6 && so.proto !== 17) return null;
  if (output.length !== input.length || so.l3 !== si.l3 || so.ihl !== si.ihl)
    return `frame of ${input.length} bytes (IHL ${si.ihl / 4}) left as ${output.length} bytes (IHL ${so.ihl / 4})`;
  const l3 = si.l3;
  const l4 = si.l4;
  const tcp = so.proto === 6;
  const l4Hdr = tcp ? Math.min(((input[l4 + 12]! >>> 4) << 2) >>> 0, si.l4Len) : 8;
  for (let i = 12; i < input.length; i++) {
    if (input[i] === output[i]) continue;
    const ip = i - l3;
    if (ip === 8 || ip === 10 || ip === 11 || (ip >= 12 && ip < 20)) continue; // TTL, check, addresses
    const at = i - l4;
    if (at >= 0 && at < 4) continue; // ports
    if (at === (tcp ? 16 : 6) || at === (tcp ? 17 : 7)) continue; // L4 checksum
    if (tcp && at >= 20 && at < l4Hdr) continue; // options: full NAT translates timestamps
    if (synproxy && tcp && ((at >= 4 && at < 12) || at === 14 || at === 15)) continue; // seq, ack, window
    const where =
      ip < si.ihl ? `IP header byte ${ip}` : at < l4Hdr ? `${tcp ? 'TCP' : 'UDP'} header byte ${at}` : 'payload';
    return `${where} (frame byte ${i}) changed from 0x${input[i]!.toString(16)} to 0x${output[i]!.toString(16)}`;
  }
  return null;
}
