/**
 * Where human lines go. Off a terminal (cron mail, journald, a log file) every line starts with
 * an ISO 8601 timestamp, so a log read later says when each thing happened.
 */
export type Write = (text: string) => void;

/** Prefixes each line of `text` with the time it was written. Expects whole lines. */
export function timestamped(write: Write, clock: () => Date = () => new Date()): Write {
  return (text) => {
    if (text === '') return;
    const stamp = clock().toISOString();
    const body = text.endsWith('\n') ? text.slice(0, -1) : text;
    write(
      `${body
        .split('\n')
        .map((line) => `${stamp} ${line}`)
        .join('\n')}\n`,
    );
  };
}

export interface Outputs {
  readonly out: Write;
  readonly err: Write;
}

/** stdout/stderr writers; timestamped when stdout is not a terminal. */
export function humanOutputs(options: { timestamps: boolean }): Outputs {
  const out: Write = (t) => void process.stdout.write(t);
  const err: Write = (t) => void process.stderr.write(t);
  return options.timestamps ? { out: timestamped(out), err: timestamped(err) } : { out, err };
}
