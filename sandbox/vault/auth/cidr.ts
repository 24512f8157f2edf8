// CIDR membership for *_bound_cidrs checks (IPv4, IPv6 and IPv4-mapped IPv6 addresses).
import { BlockList, isIP } from 'node:net';

/** Is `address` inside `cidr` ("10.0.0.0/8", "::1/128", or a bare address)? */
export function cidrContains(cidr: string, address: string): boolean {
  const addr = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
  const family = isIP(addr);
  if (family === 0) return false;
  const [base = '', bitsText] = cidr.trim().split('/');
  const baseFamily = isIP(base);
  if (baseFamily === 0 || baseFamily !== family) return false;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  const bits = bitsText === undefined ? (family === 4 ? 32 : 128) : Number(bitsText);
  if (!Number.isInteger(bits) || bits < 0 || bits > (family === 4 ? 32 : 128)) return false;
  const list = new BlockList();
  list.addSubnet(base, bits, type);
  return list.check(addr, type);
}
