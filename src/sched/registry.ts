// Scheduler registry by ipvsadm name (register_ip_vs_scheduler / ip_vs_scheduler_get, ip_vs_sched.c).

import type { SchedulerFactory } from './scheduler.ts';

const factories: readonly SchedulerFactory[] = [];

const byName = new Map<string, SchedulerFactory>(factories.map((f) => [f.name, f]));

export function findScheduler(name: string): SchedulerFactory | undefined {
  return byName.get(name);
}

export function schedulerNames(): string[] {
  return [...byName.keys()];
}
