// argv-draft: the command entry process_options() in ipvsadm.c (1.31) fills in place while it
// reads the options (struct ipvs_command_entry with its defaults), and the "multiple options" check.

import { AF_INET, FWD_ROUTE } from '../model/dest.ts';
import type { DestSpec, ServiceSpec } from '../model/rule-spec.ts';
import * as O from './argv-options.ts';
import { fail } from './argv-exit.ts';
import type { DaemonSpec } from './command.ts';

/** A spec while the options are read: the same fields, writable. */
type Draft<T> = { -readonly [K in keyof T]: T[K] };

/** What the options of one command line have set so far. */
export interface ArgvDraft {
  readonly svc: Draft<ServiceSpec>;
  readonly dest: Draft<Required<Omit<DestSpec, 'addr6'>>> & Pick<Draft<DestSpec>, 'addr6'>;
  readonly daemon: Draft<DaemonSpec>;
  /** The OPTC_* bits seen, each at most once. */
  readonly options: Set<number>;
  format: number;
  tunType: number;
  /** -b's argument, applied once the scheduler is known. */
  schedFlagsArg: string;
  /** --synproxy's argument, checked against the command at the end. */
  synproxyArg: string | null;
}

/** process_options(): the defaults of ipvs_command_entry. */
export function newDraft(): ArgvDraft {
  return {
    svc: {
      af: AF_INET,
      protocol: 0,
      addr: 0,
      port: 0,
      fwmark: 0,
      schedName: '',
      flags: 0,
      timeoutSec: 0,
      netmask: 0xffffffff,
      peName: '',
    },
    // The tunnel defaults of process_options(): type 0 (ipip), port 0 (n/a), flags 0 (nocsum).
    dest: {
      af: AF_INET,
      addr: 0,
      port: 0,
      fwd: FWD_ROUTE,
      weight: 1,
      uThreshold: 0,
      lThreshold: 0,
      tunType: 0,
      tunPort: 0,
      tunFlags: 0,
    },
    // process_options(): DEF_MCAST_IFN, everything else 0 (the kernel's defaults).
    daemon: { mcastIfn: 'eth0', syncid: 0, syncMaxlen: 0, mcastGroup: 0, mcastPort: 0, mcastTtl: 0 },
    options: new Set<number>(),
    format: O.FMT_NONE,
    tunType: O.TUN_TYPE_IPIP,
    schedFlagsArg: '',
    synproxyArg: null,
  };
}

/** set_option(): an option given twice is an error. */
export function setOption(d: ArgvDraft, optc: number): void {
  if (d.options.has(optc)) fail(2, `multiple '${O.OPT_NAMES[optc]}' options specified`);
  d.options.add(optc);
}
