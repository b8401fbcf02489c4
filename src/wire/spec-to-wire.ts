// spec-to-wire: service and real server keys and specs of the domain model (src/model) as the
// wire structs (wire.ts) carry them, plain JSON data; wire-convert.ts has the other direction.

import { TsvsError } from '../lib/errors.ts';
import { AF_INET, AF_INET6, FWD_FULLNAT, FWD_LOCAL, FWD_MASQ, FWD_ROUTE, FWD_TUNNEL } from '../model/dest.ts';
import { ipToString } from '../lib/inet.ts';
import type { Inet6 } from '../lib/inet6.ts';
import { addrText, type DestSpec, type ServiceKey, type ServiceSpec } from '../model/rule-spec.ts';
import type { WireDestKey, WireDestSpec, WireFwd, WireServiceKey, WireServiceSpec } from './wire.ts';

/** The family travels only for IPv6 (absent means AF_INET). */
function afToWire(af: number): { af?: number } {
  return af === AF_INET6 ? { af } : {};
}

/** IP_VS_CONN_F_* forwarding methods and their wire names. */
export const FWD_TABLE: readonly (readonly [number, WireFwd])[] = [
  [FWD_MASQ, 'masq'],
  [FWD_LOCAL, 'local'],
  [FWD_TUNNEL, 'tunnel'],
  [FWD_ROUTE, 'route'],
  [FWD_FULLNAT, 'fullnat'],
];

export function fwdToWire(fwd: number): WireFwd {
  const e = FWD_TABLE.find(([n]) => n === fwd);
  if (e === undefined) throw new TsvsError('EINTERNAL', `unknown forwarding method ${fwd}`);
  return e[1];
}

export function serviceKeyToWire(k: ServiceKey): WireServiceKey {
  return {
    ...afToWire(k.af),
    protocol: k.protocol,
    addr: addrText(k.af, k.addr, k.addr6),
    port: k.port,
    fwmark: k.fwmark,
  };
}

export function serviceSpecToWire(s: ServiceSpec): WireServiceSpec {
  return {
    ...serviceKeyToWire(s),
    sched: s.schedName,
    flags: s.flags,
    timeout: s.timeoutSec,
    netmask: s.af === AF_INET6 ? String(s.netmask) : ipToString(s.netmask),
    pe: s.peName,
  };
}

export function destKeyToWire(addr: number, port: number, af: number = AF_INET, addr6?: Inet6): WireDestKey {
  return { ...afToWire(af), addr: addrText(af, addr, addr6), port };
}

export function destSpecToWire(d: DestSpec): WireDestSpec {
  return {
    ...destKeyToWire(d.addr, d.port, d.af, d.addr6),
    fwd: fwdToWire(d.fwd),
    weight: d.weight,
    uThreshold: d.uThreshold,
    lThreshold: d.lThreshold,
    // The tunnel fields travel with tunnel real servers only.
    ...(d.fwd === FWD_TUNNEL ? { tunType: d.tunType ?? 0, tunPort: d.tunPort ?? 0, tunFlags: d.tunFlags ?? 0 } : {}),
  };
}
