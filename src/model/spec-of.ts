// specOf / destSpecOf: the spec a live service or real server answers to, i.e. what -S prints
// for it (struct ip_vs_service_user_kern / ip_vs_dest_user_kern filled back from the kernel).

import { AF_INET6, type Dest } from './dest.ts';
import { SVC_F_HASHED, type Service } from './service.ts';
import type { DestSpec, ServiceSpec } from './rule-spec.ts';

/** The spec a live service answers to (flags without the internal HASHED bit). */
export function specOf(s: Service): ServiceSpec {
  return {
    af: s.af,
    protocol: s.protocol,
    addr: s.addr,
    ...(s.af === AF_INET6 ? { addr6: Uint32Array.from(s.addr6) } : {}),
    port: s.port,
    fwmark: s.fwmark,
    schedName: s.schedName,
    flags: s.flags & ~SVC_F_HASHED,
    timeoutSec: s.timeoutSec,
    netmask: s.netmask,
    peName: '',
  };
}

export function destSpecOf(d: Dest): DestSpec {
  return {
    af: d.af,
    addr: d.addr,
    ...(d.af === AF_INET6 ? { addr6: Uint32Array.from(d.addr6) } : {}),
    port: d.port,
    fwd: d.fwd,
    weight: d.weight,
    uThreshold: d.uThreshold,
    lThreshold: d.lThreshold,
    tunType: d.tunType,
    tunPort: d.tunPort,
    tunFlags: d.tunFlags,
  };
}
