// LocalAddrs6: the full NAT local IPv6 addresses of one ConnManager6, keyed by their 32-bit folds.
// The port pools (port-pool.ts) and the connection table's laddr column hold numbers; an IPv6
// table keeps there the fold of the 128-bit address (conn-table6.ts), so the pools are keyed by
// the folds and this maps a fold back to its address when a connection is made. Two local
// addresses with one fold would share a key: they are refused when the engine starts.

import { TsvsError } from '../lib/errors.ts';
import { formatInet6, inet6Fold, type Inet6 } from '../lib/inet6.ts';

export class LocalAddrs6 {
  private readonly addrs: readonly Inet6[];
  private readonly keys: Uint32Array;
  private readonly none = new Uint32Array(4);

  constructor(addrs: readonly Inet6[]) {
    this.addrs = addrs.map((a) => Uint32Array.from(a));
    this.keys = Uint32Array.from(this.addrs, inet6Fold);
    for (let i = 0; i < this.keys.length; i++) {
      for (let j = 0; j < i; j++) {
        if (this.keys[i] === this.keys[j]) {
          throw new TsvsError(
            'FULLNAT6_FOLD',
            `full-NAT addresses ${formatInet6(this.addrs[j]!)} and ${formatInet6(this.addrs[i]!)} fold to the same ` +
              ' 32-bit key (w0^w1^w2^w3): their port pools would collide; pick another address',
          );
        }
      }
    }
  }

  /** The folds, in order: LocalAddrPool's addresses. */
  folds(): number[] {
    return Array.from(this.keys);
  }

  /** The address whose fold is key (a pooled connection's laddr); :: for none. Per new connection. */
  byFold(key: number): Uint32Array {
    const k = this.keys;
    for (let i = 0; i < k.length; i++) if (k[i] === key >>> 0) return this.addrs[i]!;
    return this.none;
  }
}
