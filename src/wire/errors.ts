// The errors of wiring, each saying whether anything was changed.

/** A name already in use where we would create it: found before any change. */
export class ConflictError extends Error {
  override name = 'ConflictError';
  readonly code = 'EEXIST';
}

/** Something to act on is not there (a link to delete): found before any change. */
export class NotFoundError extends Error {
  override name = 'NotFoundError';
  readonly code = 'ENOENT';
}

/** `signal` was aborted before the first change: nothing was done. */
export class InterruptedError extends Error {
  override name = 'InterruptedError';
}

/** A failure after changes began; everything done was undone (or `undoFailed` says what was left). */
export class WiringError extends Error {
  override name = 'WiringError';
  constructor(message: string, override readonly cause: unknown, readonly undoFailed?: string) {
    super(message);
  }
}

/** An aborted `signal` seen before the first change. */
export function stoppedBeforeAnyChange(signal: AbortSignal): InterruptedError {
  return new InterruptedError(`${reasonOf(signal)}: stopped before any change, nothing was done`);
}

/** What an aborted signal says, for a message. */
export function reasonOf(signal: AbortSignal): string {
  const r: unknown = signal.reason;
  return r instanceof Error ? r.message : r === undefined ? 'aborted' : String(r);
}
