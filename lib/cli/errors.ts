// The CLI's exit codes and the errors that choose them.
//
//   0    done
//   1    an error: a bad config, missing data, a failed phase (message only; the stack with
//        --verbose or TORCHTRAIN_DEBUG=1)
//   2    bad usage: an unknown command or option, a missing argument (commander's own errors too)
//   128+n  stopped by signal n (130 SIGINT, 143 SIGTERM) after saving a checkpoint: resume it
//          with `torchtrain resume <run-dir>`

export const EXIT = { ok: 0, error: 1, usage: 2 } as const;

/** Wrong use of the command line (exit 2), as opposed to a failure of the work itself (exit 1). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Whether stacks are shown: --verbose or TORCHTRAIN_DEBUG=1. */
export function debugEnabled(argv: readonly string[]): boolean {
  return argv.includes('--verbose') || argv.includes('-v') || ['1', 'true', 'yes'].includes((process.env.TORCHTRAIN_DEBUG ?? '').toLowerCase());
}

/** An error as the user sees it: its message (with the cause's), the stack only when debugging. */
export function describeError(err: unknown, debug: boolean): string {
  if (!(err instanceof Error)) return String(err);
  if (debug) return err.stack ?? err.message;
  const cause = err.cause instanceof Error && !err.message.includes(err.cause.message) ? `\n  caused by: ${err.cause.message}` : '';
  return `${err.message}${cause}`;
}
