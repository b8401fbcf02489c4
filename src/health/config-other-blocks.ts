// config-other-blocks: keepalived.conf's top-level blocks besides virtual_server and
// virtual_server_group: the SSL block every SSL_GET uses (check_parser.c ssl_handler), and the
// blocks of keepalived's other parts (global_defs, vrrp_*, static_*), which tsvs skips with a warning.

import type { Stmt } from './config-lexer.ts';
import type { Ctx } from './config-values.ts';

const SKIPPED_BLOCKS =
  /^(global_defs|vrrp_.*|static_ipaddress|static_routes|static_rules|linkbeat_interfaces|track_file|bfd_instance|garp_group|net_namespace.*|instance|use_pid_dir)$/;

/** A top-level block other than the LVS ones: skipped with a warning saying why. */
export function readOtherBlock(ctx: Ctx, st: Stmt): void {
  if (!SKIPPED_BLOCKS.test(st.key))
    ctx.warn(st, `Unknown keyword '${st.key}'`); // lib/parser.c process_stream
  else if (st.key === 'vrrp_instance' || st.key === 'vrrp_sync_group') ctx.warn(st, vrrpIsKeepalivedsJob(st));
  else
    ctx.ignored(
      st,
      st.key.startsWith('vrrp_') ? 'tsvs runs no VRRP; keepalived does' : 'not part of the LVS configuration',
    );
}

/**
 * A vrrp_instance or vrrp_sync_group in tsvsd's --health file: valid keepalived config that tsvsd
 * does not run. VRRP stays keepalived's: keepalived runs beside tsvsd with this block and hands its
 * state over through its notify FIFO, which tsvsd reads (src/daemon/vrrp-fifo.ts).
 */
function vrrpIsKeepalivedsJob(st: Stmt): string {
  const name = st.args[0]?.text;
  return `${st.key}${name === undefined ? '' : ` ${name}`} is ignored by tsvsd: VRRP is keepalived's job. Run keepalived with this block on each director, its notify_fifo read by tsvsd (\`vrrp-notify-fifo\` and \`vrrp-state backup\` in tsvsd.conf's [engine]) (lab/README.md, "High availability: keepalived and VRRP")`;
}

/** SSL { password ca certificate key }: the files every SSL_GET uses (check_parser.c ssl_handler). */
export function readSsl(ctx: Ctx, st: Stmt): void {
  // "SSL context already specified - replacing".
  if (Object.keys(ctx.ssl).length > 0) ctx.warn(st, 'SSL context already specified - replacing');
  const ssl: { ca?: string; certificate?: string; key?: string; password?: string } = {};
  for (const s of st.block ?? []) {
    ctx.noBlock(s);
    if (s.key === 'ca' || s.key === 'certificate' || s.key === 'key' || s.key === 'password')
      ssl[s.key] = ctx.arg(s, 0, s.key === 'password' ? 'a password' : 'a file name');
    else ctx.warn(s, `Unknown keyword '${s.key}'`);
  }
  ctx.ssl = ssl;
}
