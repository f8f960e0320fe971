// veth: IFLA_INFO_DATA holds VETH_INFO_PEER, the peer's own ifinfomsg and
// IFLA attributes (its name, and IFLA_NET_NS_FD to create it in another netns).

import { attrs, headerThenAttrs, type AttrsOf } from '../../attr.js';
import { IFINFOMSG } from '../headers.js';
import { IFLA } from '../link.js';

export const VETH = attrs('VETH_INFO', {
  peer: [1, headerThenAttrs(IFINFOMSG, () => IFLA)],
});
export type VethAttrs = AttrsOf<typeof VETH>;
