// The kernel's error returns for control operations (ip_vs_ctl.c) and the words ipvsadm prints
// for them: ipvs_strerror() in libipvs/libipvs.c picks a message by (calling function, errno),
// falling back to strerror(errno). ipvsadm then exits with the -1 its main() returns (255).

import { TsvsError } from '../lib/errors.ts';

export type Errno =
  'EEXIST' | 'ENOENT' | 'ESRCH' | 'ERANGE' | 'EINVAL' | 'EPERM' | 'ENOMEM' | 'EAFNOSUPPORT' | 'ENODEV';

/** The libipvs function that failed (ipvs_func), which selects the message. */
export type IpvsOp =
  | 'add-service'
  | 'edit-service'
  | 'del-service'
  | 'zero-service'
  | 'add-dest'
  | 'edit-dest'
  | 'del-dest'
  | 'get-service'
  | 'set-timeout'
  | 'flush'
  | 'start-daemon'
  | 'stop-daemon';

/** ipvs_strerror()'s table, in its order: function-specific rows first match. */
const TABLE: readonly (readonly [IpvsOp | null, Errno, string])[] = [
  ['add-service', 'EEXIST', 'Service already exists'],
  ['add-service', 'ENOENT', 'Scheduler or persistence engine not found'],
  ['edit-service', 'ESRCH', 'No such service'],
  ['edit-service', 'ENOENT', 'Scheduler or persistence engine not found'],
  ['del-service', 'ESRCH', 'No such service'],
  ['zero-service', 'ESRCH', 'No such service'],
  ['add-dest', 'ESRCH', 'Service not defined'],
  ['add-dest', 'EEXIST', 'Destination already exists'],
  ['edit-dest', 'ESRCH', 'Service not defined'],
  ['edit-dest', 'ENOENT', 'No such destination'],
  ['del-dest', 'ESRCH', 'Service not defined'],
  ['del-dest', 'ENOENT', 'No such destination'],
  ['get-service', 'ESRCH', 'No such service'],
  ['start-daemon', 'EEXIST', 'Daemon has already run'],
  ['stop-daemon', 'ESRCH', 'No daemon is running'],
  [null, 'EPERM', 'Permission denied (you must be root)'],
  [null, 'EINVAL', 'Invalid operation.  Possibly wrong module version, address not unicast, ...'],
  [null, 'ENOMEM', 'Memory allocation problem'],
  [null, 'EAFNOSUPPORT', 'Operation not supported with specified address family'],
];

/** glibc strerror() for the errnos the table does not cover for a given function. */
const STRERROR: Readonly<Record<Errno, string>> = {
  EEXIST: 'File exists',
  ENOENT: 'No such file or directory',
  ESRCH: 'No such process',
  ERANGE: 'Numerical result out of range',
  EINVAL: 'Invalid argument',
  EPERM: 'Operation not permitted',
  ENOMEM: 'Cannot allocate memory',
  EAFNOSUPPORT: 'Address family not supported by protocol',
  ENODEV: 'No such device',
};

/** ipvs_strerror(err) as if `op` had just failed with `errno`. */
export function ipvsStrerror(op: IpvsOp, errno: Errno): string {
  for (const [fn, err, message] of TABLE) {
    if ((fn === null || fn === op) && err === errno) return message;
  }
  return STRERROR[errno];
}

/** ipvsadm's exit status after a failed kernel operation: main() returns -1. */
export const EXIT_KERNEL_ERROR = 255;

/** A control operation failure the way the kernel reports it; `code` is the errno name. */
export function ipvsError(op: IpvsOp, errno: Errno, cause?: string): TsvsError {
  const opts: { exitCode: number; cause?: unknown } = { exitCode: EXIT_KERNEL_ERROR };
  if (cause !== undefined) opts.cause = cause;
  return new TsvsError(errno, ipvsStrerror(op, errno), opts);
}
