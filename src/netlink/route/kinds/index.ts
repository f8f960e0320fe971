// Link kinds whose IFLA_INFO_DATA we decode. Adding a kind is one table here
// and one golden test; a kind not listed stays raw bytes, losslessly.

import { nested, type Codec } from '../../attr.js';
import { VETH } from './veth.js';

export const LINK_KINDS: Record<string, Codec<any>> = {
  veth: nested(() => VETH),
};
