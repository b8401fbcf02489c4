// TsvsError: control-plane errors with a stable code; messages in ipvsadm's words where one exists.

export class TsvsError extends Error {
  readonly code: string;
  /**
   * ipvsadm-style process exit code for CLI paths (ipvsadm: 2 on usage errors, 255 on failed
   * set commands, 1 on failed listings).
   */
  readonly exitCode: number;

  constructor(code: string, message: string, options: { cause?: unknown; exitCode?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TsvsError';
    this.code = code;
    this.exitCode = options.exitCode ?? 1;
  }
}

export function isTsvsError(e: unknown): e is TsvsError {
  return e instanceof TsvsError;
}
