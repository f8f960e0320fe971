// NetlinkError: the kernel said no. Carries the errno (number and name), the
// kernel's extended-ACK text and the attribute it pointed at, and what we
// were doing, so one line tells a person what went wrong.

import { errnoName, errnoText } from './errno.js';
import { NLMSG_HDRLEN, type ErrorMessage, type DoneMessage, type Message, type Protocol } from './message.js';
import { align4, u16At } from './bytes.js';
import { NLA_TYPE_MASK, type AttrTable, type Entry } from './attr.js';

export class NetlinkError extends Error {
  override name = 'NetlinkError';
  /** Positive errno, e.g. 17. */
  readonly errno: number;
  /** Errno name, e.g. 'EEXIST'. */
  readonly code: string;
  /** What we were doing, e.g. 'add link nic1 (veth) in netns pb-a'. */
  readonly operation: string;
  /** The kernel's extended-ACK message, when it sent one. */
  readonly extack?: string;
  /** The offending attribute, when the kernel pointed at one (e.g. 'IFLA.ifname'). */
  readonly attribute?: string;
  /** Messages received before the failure (a dump interrupted midway). */
  readonly partial?: Message[];

  constructor(errno: number, operation: string, details: { extack?: string; attribute?: string; partial?: Message[]; text?: string } = {}) {
    const code = errnoName(errno);
    const why = details.text ?? errnoText(errno);
    let message = `${operation}: ${why} (${code})`;
    if (details.extack) message += `: ${details.extack}`;
    if (details.attribute) message += ` [attribute ${details.attribute}]`;
    super(message);
    this.errno = errno;
    this.code = code;
    this.operation = operation;
    this.extack = details.extack;
    this.attribute = details.attribute;
    this.partial = details.partial;
  }

  /** Build from an NLMSG_ERROR or NLMSG_DONE carrying a negative error. */
  static from(m: ErrorMessage | DoneMessage, operation: string, request?: Uint8Array, protocol?: Protocol): NetlinkError {
    const ext = m.extack;
    let attribute: string | undefined;
    if (ext?.offset !== undefined && request && protocol) attribute = attributeAt(request, ext.offset, protocol);
    else if (ext?.missType !== undefined) attribute = `missing #${ext.missType}`;
    return new NetlinkError(-m.error, operation, { extack: ext?.msg, attribute });
  }
}

/**
 * Name the attribute that byte `offset` of our request falls in (the kernel's
 * NLMSGERR_ATTR_OFFS), walking nested tables as deep as we know them.
 */
export function attributeAt(request: Uint8Array, offset: number, protocol: Protocol): string | undefined {
  if (request.length < NLMSG_HDRLEN || offset >= request.length) return undefined;
  const layout = protocol.layouts.get(u16At(request, 4));
  if (!layout) return undefined;
  let table: AttrTable | undefined = layout.table;
  let off = NLMSG_HDRLEN + align4(layout.header.size);
  let end = request.length;
  let path = table.name;
  while (table && off + 4 <= end) {
    const len = u16At(request, off);
    if (len < 4) return undefined;
    if (offset >= off && offset < off + len) {
      const type = u16At(request, off + 2) & NLA_TYPE_MASK;
      const entry: Entry | undefined = table.byType[type];
      path += '.' + (entry?.key ?? `#${type}`);
      // Descend only into plain nested tables; the offset may point inside.
      const inner: AttrTable | undefined = entry?.codec.table?.();
      if (!inner || offset < off + 4) return path;
      table = inner;
      end = off + len;
      off += 4;
      continue;
    }
    off += align4(len);
  }
  return path;
}
