import { isIPv4, isIPv6 } from 'node:net';

/**
 * What a per-client limit counts a request's address as: an IPv4 address
 * as is, also when mapped into IPv6 (`::ffff:192.0.2.1`, as a dual-stack
 * socket reports IPv4 clients), and an IPv6 address by its /64 network,
 * the least one subscriber is given: counted one by one, its addresses
 * would be a limit per try. Anything else is returned as is.
 */
export function clientNetwork(ip: string): string {
  const mapped = /^::ffff:([0-9.]+)$/i.exec(ip)?.[1];
  if (mapped !== undefined && isIPv4(mapped)) return mapped;
  if (!isIPv6(ip)) return ip;
  // A dotted IPv4 tail is the last 32 bits, beyond the /64: two groups.
  const address = ip
    .replace(/%.*$/, '')
    .replace(/[0-9.]+$/, (tail) => (tail.includes('.') ? '0:0' : tail));
  const [left, right] = address.split('::');
  const head = left === '' ? [] : left.split(':');
  const tail = right === undefined || right === '' ? [] : right.split(':');
  const groups =
    right === undefined
      ? head
      : [
          ...head,
          ...new Array<string>(8 - head.length - tail.length).fill('0'),
          ...tail,
        ];
  const network = groups
    .slice(0, 4)
    .map((group) => parseInt(group, 16).toString(16))
    .join(':');
  return `${network}::/64`;
}
