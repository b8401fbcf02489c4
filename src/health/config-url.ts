// config-url: the url block of an HTTP_GET or SSL_GET (keepalived check/check_http.c
// url_handler: path, digest, status_code, virtualhost, regex ...).

import type { Stmt } from './config-lexer.ts';
import type { Ctx, Mutable } from './config-values.ts';
import { DEFAULT_STATUS_CODES, type HttpUrl, type StatusRange } from './http-check.ts';

function statusRanges(ctx: Ctx, st: Stmt): StatusRange[] {
  if (st.args.length === 0) ctx.fail(st, 'status_code needs codes or ranges (e.g. 200-299 503)');
  return st.args.map((w) => {
    const m = /^(\d{3})(?:-(\d{3}))?$/.exec(w.text);
    const lo = m === null ? NaN : Number(m[1]);
    const hi = m === null ? NaN : m[2] !== undefined ? Number(m[2]) : lo;
    // HTTP_STATUS_CODE_MIN..MAX (check_http.h): 100..599.
    if (!(lo >= 100 && hi <= 599 && lo <= hi)) ctx.fail(st, `status_code: invalid code or range '${w.text}' (100-599)`);
    return [lo, hi] as const;
  });
}

/** One url { ... } block; its path is required. */
export function readUrl(ctx: Ctx, st: Stmt): HttpUrl {
  const u: Mutable<HttpUrl> = { path: '', statusCodes: DEFAULT_STATUS_CODES };
  for (const s of st.block ?? []) {
    ctx.noBlock(s);
    if (s.key === 'path') u.path = ctx.arg(s, 0, 'a path');
    else if (s.key === 'digest') {
      const d = ctx.arg(s, 0, 'an MD5 digest');
      if (!/^[0-9a-fA-F]{32}$/.test(d)) ctx.fail(s, `digest: '${d}' is not an MD5 digest (32 hex digits)`);
      u.digest = d.toLowerCase();
    } else if (s.key === 'status_code') u.statusCodes = statusRanges(ctx, s);
    else if (s.key === 'virtualhost') u.virtualhost = ctx.arg(s, 0, 'a host name');
    else if (s.key === 'substring') u.substring = ctx.arg(s, 0, 'text');
    else if (s.key === 'regex') {
      const src = ctx.arg(s, 0, 'a regular expression');
      try {
        u.regex = new RegExp(src);
      } catch (e) {
        ctx.fail(s, `regex: ${e instanceof Error ? e.message : String(e)}`);
      }
    } else if (s.key === 'regex_no_match') u.regexNoMatch = ctx.bool(s);
    else ctx.warn(s, `Unknown keyword '${s.key}'`); // lib/parser.c: warned, not applied
  }
  if (u.path === '') ctx.fail(st, 'url needs a path');
  return u;
}
