import { describe, expect, it } from '@jest/globals';
import { clientNetwork } from './client-network.js';

describe('clientNetwork', () => {
  it.each([
    ['192.0.2.1', '192.0.2.1'],
    ['::ffff:192.0.2.1', '192.0.2.1'],
    ['::FFFF:192.0.2.1', '192.0.2.1'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::9', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002:ffff::', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['2001:db8::', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['64:ff9b::192.0.2.1', '64:ff9b:0:0::/64'],
    ['2001:db8:1:2:3:4:192.0.2.1', '2001:db8:1:2::/64'],
    ['', ''],
    ['not an address', 'not an address'],
  ])('counts %j as %j', (ip, network) => {
    expect(clientNetwork(ip)).toBe(network);
  });

  it('counts every address of one /64 as one client, and another /64 apart', () => {
    expect(clientNetwork('2001:db8:a:b:1::1')).toBe(
      clientNetwork('2001:db8:a:b:ffff:ffff:ffff:ffff'),
    );
    expect(clientNetwork('2001:db8:a:c::1')).not.toBe(
      clientNetwork('2001:db8:a:b::1'),
    );
  });
});
