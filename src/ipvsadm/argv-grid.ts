// The option/command compatibility checks of ipvsadm.c: generic_opt_check() over
// commands_v_options and tunnel_opt_check() over tunnel_types_v_options, with their messages.

import { fail } from './argv-exit.ts';
import {
  CMD_NAMES,
  COMMANDS_V_OPTIONS,
  NUMBER_OF_OPT,
  OPT_NAMES,
  TUN_NAMES,
  TUN_OPTS,
  TUNNEL_TYPES_V_OPTIONS,
} from './argv-options.ts';

/** generic_opt_check(): scans the columns in order; the first violation wins. */
export function checkGrid(command: number, options: ReadonlySet<number>): void {
  const i = command - 1;
  const row = COMMANDS_V_OPTIONS[i]!;
  const cmdName = CMD_NAMES[i]!;
  let last = 0;
  let count = 0;
  for (let j = 0; j < NUMBER_OF_OPT; j++) {
    const rule = row[j];
    if (!options.has(j)) {
      if (rule === '+') fail(2, `You need to supply the '${OPT_NAMES[j]}' option for the '${cmdName}' command`);
    } else {
      if (rule === 'x') fail(2, `Illegal '${OPT_NAMES[j]}' option with the '${cmdName}' command`);
      if (rule === '1') {
        count++;
        if (count === 1) {
          last = j;
          continue;
        }
        fail(
          2,
          `The option '${OPT_NAMES[j]}' conflicts with the '${OPT_NAMES[last]}' option in the '${cmdName}' command`,
        );
      }
    }
  }
}

/** tunnel_opt_check(): which --tun-* options a tunnel type takes. */
export function checkTunnelGrid(tunType: number, options: ReadonlySet<number>): void {
  const row = TUNNEL_TYPES_V_OPTIONS[tunType]!;
  const tunName = TUN_NAMES[tunType]!;
  let last = 0;
  let count = 0;
  for (let j = 0; j < TUN_OPTS.length; j++) {
    const k = TUN_OPTS[j]!;
    const rule = row[j];
    if (!options.has(k)) {
      if (rule === '+') fail(2, `You need to supply the '${OPT_NAMES[k]}' option for the '${tunName}' tunnel type`);
    } else {
      if (rule === 'x') fail(2, `Illegal '${OPT_NAMES[k]}' option with the '${tunName}' tunnel type`);
      if (rule === '1') {
        count++;
        if (count === 1) {
          last = k;
          continue;
        }
        fail(
          2,
          `The option '${OPT_NAMES[k]}' conflicts with the '${OPT_NAMES[last]}' option in the '${tunName}' tunnel type`,
        );
      }
    }
  }
}
