/**
 * Exit codes of the `gradlab` command (documented in `gradlab --help` and README):
 *   0  success
 *   1  training failed: the loss or the weights became non-finite (NaN/Inf)
 *   2  usage error: unknown command or flag, invalid flag value (the message lists the valid ones)
 *   3  bad input: a data set or model file that cannot be read or is invalid
 *   4  cannot write an output file (model, report, export)
 *   5  internal error (a bug in gradlab: please report it)
 * 130 interrupted (Ctrl-C)
 * 143 terminated (SIGTERM): stopped as for Ctrl-C
 */
export const EXIT = {
  ok: 0,
  trainingFailed: 1,
  usage: 2,
  badInput: 3,
  cannotWrite: 4,
  internal: 5,
  interrupted: 130,
  terminated: 143,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const EXIT_CODES_HELP = `Exit codes:
  0    success
  1    training failed (loss or weights became NaN/Inf; in compare a diverged run is a result: its row says non-finite, exit 0)
  2    usage error (unknown command/flag, invalid value: the message lists the valid ones)
  3    bad input (data set or model file unreadable or invalid)
  4    cannot write an output file (model, report, export)
  5    internal error (please report it)
  130  interrupted (Ctrl-C; train and compare still write their outputs)
  143  terminated (SIGTERM; stopped as for Ctrl-C)`;

/** An error that ends the command with a given exit code and a one-line message. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly code: ExitCode,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const usageError = (message: string): CliError => new CliError(message, EXIT.usage);
export const inputError = (message: string): CliError => new CliError(message, EXIT.badInput);
export const writeError = (message: string): CliError => new CliError(message, EXIT.cannotWrite);

/** Wrap an error from reading input (data or model) as exit code 3, keeping CliErrors. */
export function asInputError(e: unknown): CliError {
  if (e instanceof CliError) return e;
  return inputError((e as Error)?.message ?? String(e));
}

export function asWriteError(e: unknown): CliError {
  if (e instanceof CliError) return e;
  return writeError((e as Error)?.message ?? String(e));
}
