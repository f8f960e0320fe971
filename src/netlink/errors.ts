// The two error types of the codec: a malformed buffer (DecodeError) and a
// value that cannot be put into bytes (EncodeError). Nothing else escapes a
// decode: Buffer/DataView RangeErrors and TypeErrors are turned into these.

/** Bytes that are not a well-formed netlink message. */
export class DecodeError extends Error {
  override name = 'DecodeError';
  /** Byte offset into the decoded buffer where the problem was found. */
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(`${message} (at byte ${offset})`);
    this.offset = offset;
  }
}

/** A value that our encoder cannot represent (bad IP, out-of-range integer, ...). */
export class EncodeError extends Error {
  override name = 'EncodeError';
  constructor(message: string) {
    super(message);
  }
}
