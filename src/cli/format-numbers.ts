// printf pieces of ipvsadm's listings: %-Ns / %Ns padding and print_largenum() (ipvsadm.c),
// which prints counters in 9 columns, switching to K/M/G/T suffixes from 100 million, or whole
// numbers with --exact.

import { FMT_EXACT } from '../ipvsadm/argv-options.ts';

/** %-Ns: left-justified, never truncated. */
export function padRight(s: string, width: number): string {
  return s.length >= width ? s : s + ' '.repeat(width - s.length);
}

/** %Ns: right-justified, never truncated. */
export function padLeft(s: string, width: number): string {
  return s.length >= width ? s : ' '.repeat(width - s.length) + s;
}

/** A counter as %llu prints it (non-negative integer; doubles hold exact values up to 2^53). */
export function u64(n: number): string {
  if (!Number.isFinite(n) || n <= 0) return '0';
  return BigInt(Math.trunc(n)).toString();
}

function div(n: number, d: number): string {
  return (BigInt(Math.trunc(n)) / BigInt(d)).toString();
}

/** print_largenum(i, format). */
export function printLargenum(i: number, format: number): string {
  const s = u64(i);
  if (format & FMT_EXACT) return padLeft(s, s.length <= 8 ? 9 : s.length + 1);
  if (i < 100_000_000) return padLeft(s, 9); // less than 100 million
  if (i < 1_000_000_000) return padLeft(div(i, 1000), 8) + 'K'; // less than 1 billion
  if (i < 100_000_000_000) return padLeft(div(i, 1_000_000), 8) + 'M'; // less than 100 billion
  if (i < 100_000_000_000_000) return padLeft(div(i, 1_000_000_000), 8) + 'G'; // less than 100 trillion
  return padLeft(div(i, 1_000_000_000_000), 8) + 'T';
}
