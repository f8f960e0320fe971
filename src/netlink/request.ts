// A request before it is numbered: what builders return and sockets send.

import { Writer } from './bytes.js';
import { encodeMessage, type Protocol } from './message.js';

export interface Request<H = unknown, A = unknown> {
  type: number;
  /** Full nlmsg flags as sent (NLM_F_REQUEST and, for changes, NLM_F_ACK included). */
  flags: number;
  header: H;
  attrs: A;
}

/** The bytes of a request with its sequence number and port: what goes on the wire. */
export function requestBytes(req: Request, protocol: Protocol, seq = 0, port = 0): Uint8Array {
  const w = new Writer(256);
  encodeMessage(w, { type: req.type, flags: req.flags, seq, port, header: req.header, attrs: req.attrs }, protocol);
  return w.take();
}
