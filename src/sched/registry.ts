// Scheduler registry by ipvsadm name (register_ip_vs_scheduler / ip_vs_scheduler_get, ip_vs_sched.c).

import type { SchedulerFactory } from '../model/scheduler.ts';
import { dh } from './dh.ts';
import { fo } from './fo.ts';
import { lblc } from './lblc.ts';
import { lblcr } from './lblcr.ts';
import { lc } from './lc.ts';
import { mh } from './mh.ts';
import { nq } from './nq.ts';
import { ovf } from './ovf.ts';
import { rr } from './rr.ts';
import { sed } from './sed.ts';
import { sh } from './sh.ts';
import { twos } from './twos.ts';
import { wlc } from './wlc.ts';
import { wrr } from './wrr.ts';

/** In the order of the kernel's ipvs/Kconfig. */
const factories: readonly SchedulerFactory[] = [rr, wrr, lc, wlc, fo, ovf, lblc, lblcr, dh, sh, mh, sed, nq, twos];

const byName = new Map<string, SchedulerFactory>(factories.map((f) => [f.name, f]));

export function findScheduler(name: string): SchedulerFactory | undefined {
  return byName.get(name);
}

export function schedulerNames(): string[] {
  return [...byName.keys()];
}
