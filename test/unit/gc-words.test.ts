// How vethcon gc names what it removes: the link's kind from the kernel
// (an end made by attach() is a vxlan, macvlan or vlan, not a veth).

import assert from 'node:assert/strict';
import { describePair } from '../../src/wire/gc.js';

describe('gc: naming what it removes', () => {
  it('a pair by both ends, a veth when the kind is not known', () => {
    assert.equal(describePair({ id: '0123456789abcdef', pid: 1, reason: '', ends: [{ endpoint: 'netns a', ifname: 't0', ifindex: 5 }, { endpoint: 'netns b', ifname: 't1', ifindex: 2 }] }),
      'veth t0 (ifindex 5) in netns a <-> t1 (ifindex 2) in netns b');
  });
  it('an end made by attach() by its own kind', () => {
    assert.equal(describePair({ id: '0123456789abcdef', pid: 1, reason: '', ends: [{ endpoint: 'netns a', ifname: 'vx0', ifindex: 3, kind: 'vxlan' }] }), 'vxlan vx0 (ifindex 3) in netns a');
  });
});
