// read_hex_str (keepalived lib/utils.c) for UDP_CHECK payload and require_reply:
// whitespace-separated groups, each read as pairs of hex digits, an odd last digit making a byte
// of its own ("Ab12f 3 456" = AB 12 0F 03 45 06); in a reply pattern an X digit is a wildcard nibble.

export interface HexBytes {
  readonly data: Uint8Array;
  /** Per byte: bits set where the reply may differ (X nibbles); undefined when no X was used. */
  readonly mask: Uint8Array | undefined;
}

/** Parse; undefined when the text has a non-hex digit (or an X when allowX is false) or is empty. */
export function readHexStr(text: string, allowX: boolean): HexBytes | undefined {
  const data: number[] = [];
  const mask: number[] = [];
  let anyX = false;
  for (const group of text.trim().split(/\s+/)) {
    if (group === '') continue;
    for (let i = 0; i < group.length; i += 2) {
      const pair = i + 1 < group.length ? group.slice(i, i + 2) : `0${group[i] ?? ''}`;
      let v = 0;
      let m = 0;
      for (let k = 0; k < 2; k++) {
        const c = pair[k] ?? '';
        const shift = k === 0 ? 4 : 0;
        if (c === 'x' || c === 'X') {
          if (!allowX) return undefined;
          anyX = true;
          m |= 0xf << shift;
        } else {
          const d = parseInt(c, 16);
          if (Number.isNaN(d)) return undefined;
          v |= d << shift;
        }
      }
      data.push(v);
      mask.push(m);
    }
  }
  if (data.length === 0) return undefined;
  return { data: Uint8Array.from(data), mask: anyX ? Uint8Array.from(mask) : undefined };
}

/**
 * check_udp_reply (check_udp.c): the reply length must lie in [minLen, maxLen], and the first
 * min(len, pattern length) bytes must match the pattern outside the wildcard nibbles.
 */
export function replyMatches(
  reply: Uint8Array,
  pattern: HexBytes | undefined,
  minLen: number,
  maxLen: number,
): boolean {
  if (reply.length < minLen || reply.length > maxLen) return false;
  if (pattern === undefined) return true;
  const n = Math.min(reply.length, pattern.data.length);
  for (let i = 0; i < n; i++) {
    const ignore = pattern.mask !== undefined ? (pattern.mask[i] ?? 0) : 0;
    if (((reply[i] ?? 0) ^ (pattern.data[i] ?? 0)) & ~ignore & 0xff) return false;
  }
  return true;
}
