// rtnetlink namespace ids: struct rtgenmsg and the NETNSA_* attributes, like
// `ip netns set NAME ID` and `ip netns list-id`. Numbers from
// linux/net_namespace.h and rtnetlink.h.

import { attrs, u32, s32, type AttrsOf } from '../attr.js';

export const RTM_NEWNSID = 88;
export const RTM_DELNSID = 89;
export const RTM_GETNSID = 90;

export { RTGENMSG, type RtGenMsg } from './headers.js';

/** The nsid value meaning "no id assigned" (NETNSA_NSID_NOT_ASSIGNED). */
export const NETNSA_NSID_NOT_ASSIGNED = -1;

export const NETNSA = attrs('NETNSA', {
  nsid: [1, s32],
  /** Name the namespace by a process in it... */
  pid: [2, u32],
  /** ...or by an open file descriptor of it (/run/netns/NAME). */
  fd: [3, u32],
  /** Report the id as seen from this namespace (an nsid of ours). */
  targetNsid: [4, s32],
  /** In replies to TARGET_NSID requests: the id of the namespace we asked from. */
  currentNsid: [5, s32],
});
export type NsidAttrs = AttrsOf<typeof NETNSA>;
