// config-group: keepalived.conf's virtual_server_group block, the list of IPVS services one
// virtual_server stands for (keepalived check/check_parser.c vsg_handler, check_data.c alloc_vsg_entry).

import type { Stmt } from './config-lexer.ts';
import type { Ctx } from './config-values.ts';
import { parseDottedQuad } from '../lib/inet.ts';
import { inet6Fold, parseInet6, type Inet6 } from '../lib/inet6.ts';

/** One IPVS service a virtual_server (or each member of its virtual_server_group) stands for. */
export interface Member {
  readonly addr: number;
  readonly addr6?: Inet6;
  readonly port: number;
  readonly fwmark: number;
}

/**
 * virtual_server_group NAME { IP PORT | IP-LAST PORT | fwmark N ... } (check_parser.c vsg_handler,
 * check_data.c alloc_vsg_entry: "IP-LAST" is a range of the last octet; a missing port is 0).
 */
export function readGroup(ctx: Ctx, st: Stmt, groups: Map<string, Member[]>): void {
  const name = ctx.arg(st, 0, 'a group name');
  const members: Member[] = [];
  for (const e of st.block ?? []) {
    ctx.noBlock(e);
    if (e.key === 'fwmark') {
      members.push({ addr: 0, port: 0, fwmark: ctx.int(e, 0, 0xffffffff) });
      continue;
    }
    const port6 = e.args.length > 0 ? ctx.int(e, 0, 65535) : 0;
    if (e.key.includes(':')) {
      // IPv6 "IP-LAST": LAST replaces the last 16-bit group, in hex (inet_stor).
      const dash = e.key.lastIndexOf('-');
      const w = parseInet6(dash < 0 ? e.key : e.key.slice(0, dash));
      const end =
        dash < 0 ? null : /^[0-9a-fA-F]{1,4}$/.test(e.key.slice(dash + 1)) ? parseInt(e.key.slice(dash + 1), 16) : -1;
      const first = w === null ? 0 : w[3]! & 0xffff;
      if (w === null || (end !== null && end < first))
        ctx.fail(e, `virtual_server_group ${name}: invalid entry '${e.key}'`);
      for (let g = first; g <= (end ?? first); g++) {
        const a = Uint32Array.of(w[0]!, w[1]!, w[2]!, ((w[3]! & 0xffff0000) | g) >>> 0);
        members.push({ addr: inet6Fold(a), addr6: a, port: port6, fwmark: 0 });
      }
      continue;
    }
    const m = /^(\d+\.\d+\.\d+\.)(\d+)(?:-(\d+))?$/.exec(e.key);
    const first = m === null ? NaN : Number(m[2]);
    const last = m?.[3] !== undefined ? Number(m[3]) : first;
    if (m === null || !(first <= last && last <= 255))
      ctx.fail(e, `virtual_server_group ${name}: invalid entry '${e.key}'`);
    const port = e.args.length > 0 ? ctx.int(e, 0, 65535) : 0;
    for (let o = first; o <= last; o++) {
      const addr = parseDottedQuad(`${m[1]}${o}`);
      if (addr === null) ctx.fail(e, `virtual_server_group ${name}: invalid address '${m[1]}${o}'`);
      members.push({ addr, port, fwmark: 0 });
    }
  }
  if (members.length === 0) {
    ctx.warn(st, `virtual server group ${name} has no entries - removing`);
    return;
  }
  if (groups.has(name)) ctx.fail(st, `virtual_server_group ${name} is already defined`);
  groups.set(name, members);
}
