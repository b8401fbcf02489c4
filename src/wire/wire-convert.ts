// wire-convert: wire structs (wire.ts) to the domain model (src/model) and the listings back:
// *FromWire validate untrusted JSON (unknown) and throw EBADREQ with the offending field named;
// services with their stats and rates, connections and timeouts build plain JSON data. Keys and
// specs to the wire are spec-to-wire.ts.

import { SVC_F_SYNPROXY_MASK } from '../model/synproxy-state.ts';
import { TsvsError } from '../lib/errors.ts';
import { AF_INET, AF_INET6, type Dest } from '../model/dest.ts';
import type { Service } from '../model/service.ts';
import { ipToString, parseDottedQuad } from '../lib/inet.ts';
import { formatInet6, inet6Fold, parseInet6, type Inet6 } from '../lib/inet6.ts';
import {
  protocolName,
  type DestSpec,
  type ServiceKey,
  type ServiceRule,
  type ServiceSpec,
} from '../model/rule-spec.ts';
import { specOf, destSpecOf } from '../model/spec-of.ts';
import type { ConnSnapshot, DataPlane, Rates, TimeoutValues } from '../model/data-plane.ts';
import { destSpecToWire, FWD_TABLE, serviceSpecToWire } from './spec-to-wire.ts';
import type { ConnInfo, DestInfo, RateInfo, ServiceInfo, StatsInfo, Timeouts } from './wire.ts';

export function badRequest(message: string): TsvsError {
  return new TsvsError('EBADREQ', `invalid request: ${message}`);
}

// ---- validation helpers ----------------------------------------------------------------------

export function asObject(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw badRequest(`${what} must be an object`);
  return v as Record<string, unknown>;
}

export function intField(o: Record<string, unknown>, key: string, min: number, max: number): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw badRequest(`${key} must be an integer in ${min}..${max}`);
  }
  return v;
}

export function stringField(o: Record<string, unknown>, key: string, maxLen = 64): string {
  const v = o[key];
  if (typeof v !== 'string' || v.length > maxLen)
    throw badRequest(`${key} must be a string of at most ${maxLen} characters`);
  return v;
}

function addrField(o: Record<string, unknown>, key: string): number {
  const a = parseDottedQuad(stringField(o, key, 15));
  if (a === null) throw badRequest(`${key} must be a dotted-quad IPv4 address`);
  return a;
}

/** The optional "af" beside an address: 2 (AF_INET) when absent, else 2 or 10. */
function afField(o: Record<string, unknown>): number {
  if (o['af'] === undefined) return AF_INET;
  const af = intField(o, 'af', 0, 255);
  if (af !== AF_INET && af !== AF_INET6) throw badRequest('af must be 2 (AF_INET) or 10 (AF_INET6)');
  return af;
}

/** An address of family `af`: { addr } for IPv4, { addr: fold, addr6 } for IPv6. */
function familyAddrField(o: Record<string, unknown>, key: string, af: number): { addr: number; addr6?: Inet6 } {
  if (af === AF_INET) return { addr: addrField(o, key) };
  const w = parseInet6(stringField(o, key, 45));
  if (w === null) throw badRequest(`${key} must be an IPv6 address`);
  return { addr: inet6Fold(w), addr6: w };
}

/** "af" on the wire only for IPv6, so IPv4 messages stay as they were. */
// ---- forwarding method -----------------------------------------------------------------------

export function fwdFromWire(v: unknown): number {
  const e = FWD_TABLE.find(([, name]) => name === v);
  if (e === undefined) throw badRequest(`fwd must be one of ${FWD_TABLE.map(([, n]) => n).join(', ')}`);
  return e[0];
}

// ---- services and real servers ---------------------------------------------------------------

export function serviceKeyFromWire(v: unknown): ServiceKey {
  const o = asObject(v, 'service');
  const af = afField(o);
  return {
    af,
    protocol: intField(o, 'protocol', 0, 255),
    ...familyAddrField(o, 'addr', af),
    port: intField(o, 'port', 0, 65535),
    fwmark: intField(o, 'fwmark', 0, 0xffffffff),
  };
}

export function serviceSpecFromWire(v: unknown): ServiceSpec {
  const o = asObject(v, 'service');
  const key = serviceKeyFromWire(o);
  const text = stringField(o, 'netmask', 15);
  const netmask = key.af === AF_INET6 ? (/^\d{1,3}$/.test(text) ? Number(text) : null) : parseDottedQuad(text);
  if (netmask === null) {
    throw badRequest(
      key.af === AF_INET6 ? 'netmask must be a prefix length for IPv6' : 'netmask must be a dotted-quad IPv4 mask',
    );
  }
  return {
    ...key,
    schedName: stringField(o, 'sched', 15),
    flags: intField(o, 'flags', 0, 0xffff | SVC_F_SYNPROXY_MASK),
    timeoutSec: intField(o, 'timeout', 0, 0x7fffffff),
    netmask,
    peName: stringField(o, 'pe', 16),
  };
}

export function destKeyFromWire(v: unknown): { af: number; addr: number; addr6?: Inet6; port: number } {
  const o = asObject(v, 'dest');
  const af = afField(o);
  return { af, ...familyAddrField(o, 'addr', af), port: intField(o, 'port', 0, 65535) };
}

export function destSpecFromWire(v: unknown): DestSpec {
  const o = asObject(v, 'dest');
  return {
    ...destKeyFromWire(o),
    fwd: fwdFromWire(o['fwd']),
    // The kernel takes any int here and answers ERANGE below zero (ip_vs_add_dest()).
    weight: intField(o, 'weight', -0x80000000, 0x7fffffff),
    uThreshold: intField(o, 'uThreshold', 0, 0xffffffff),
    lThreshold: intField(o, 'lThreshold', 0, 0xffffffff),
    ...(o['tunType'] === undefined
      ? {}
      : {
          tunType: intField(o, 'tunType', 0, 2),
          tunPort: intField(o, 'tunPort', 0, 65535),
          tunFlags: intField(o, 'tunFlags', 0, 2),
        }),
  };
}

// ---- listings --------------------------------------------------------------------------------

function statsOf(x: Service | Dest): StatsInfo {
  return { conns: x.conns, inPkts: x.inPkts, outPkts: x.outPkts, inBytes: x.inBytes, outBytes: x.outBytes };
}

export function ratesToWire(r: Rates): RateInfo {
  return { cps: r.cps, inPps: r.inpps, outPps: r.outpps, inBps: r.inbps, outBps: r.outbps };
}

export function destToInfo(d: Dest, dp: DataPlane): DestInfo {
  return {
    ...destSpecToWire(destSpecOf(d)),
    activeConns: d.activeConns,
    inactConns: d.inactConns,
    persistConns: d.persistConns,
    stats: statsOf(d),
    rates: ratesToWire(dp.rates(d)),
  };
}

export function serviceToInfo(s: Service, dp: DataPlane): ServiceInfo {
  return {
    ...serviceSpecToWire(specOf(s)),
    stats: statsOf(s),
    rates: ratesToWire(dp.rates(s)),
    dests: s.dests.map((d) => destToInfo(d, dp)),
  };
}

/** A listed service back to a rule, for -S (dests in the order listed). */
export function infoToRule(i: ServiceInfo): ServiceRule {
  return { service: serviceSpecFromWire(i), dests: i.dests.map(destSpecFromWire) };
}

/** One side of a connection as ip_vs_conn_seq_show() prints it (%pI4 or, for IPv6, inet_ntop's text). */
function connAddr(af: number, addr: number, addr6: Inet6 | undefined): string {
  return af === AF_INET6 && addr6 !== undefined ? formatInet6(addr6) : ipToString(addr);
}

export function connToWire(c: ConnSnapshot): ConnInfo {
  const af = c.af ?? AF_INET;
  const daf = c.daf ?? af;
  return {
    protocol: protocolName(c.protocol),
    // jiffies_to_msecs(cp->timer.expires - jiffies) / 1000 in ip_vs_conn_seq_show()
    expireSec: Math.max(0, Math.floor(c.expireMs / 1000)),
    state: c.state,
    caddr: connAddr(af, c.caddr, c.caddr6),
    cport: c.cport,
    vaddr: connAddr(af, c.vaddr, c.vaddr6),
    vport: c.vport,
    daddr: connAddr(daf, c.daddr, c.daddr6),
    dport: c.dport,
  };
}

export function timeoutsToWire(t: TimeoutValues): Timeouts {
  return { tcp: t.tcpSec, tcpFin: t.tcpFinSec, udp: t.udpSec };
}

/** --set values in seconds, 0 = unchanged; up to ipvsadm's MAX_TIMEOUT (31 days). */
export function timeoutsFromWire(v: unknown): Timeouts {
  const o = asObject(v, 'timeouts');
  const max = 86400 * 31;
  return { tcp: intField(o, 'tcp', 0, max), tcpFin: intField(o, 'tcpFin', 0, max), udp: intField(o, 'udp', 0, max) };
}

/** Any error thrown by a handler as the wire reply carries it: TsvsError keeps its code. */
export function toWireError(e: unknown): { code: string; message: string } {
  if (e instanceof TsvsError) return { code: e.code, message: e.message };
  return { code: 'EINTERNAL', message: e instanceof Error ? e.message : String(e) };
}
