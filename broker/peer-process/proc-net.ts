// /proc/net/tcp and /proc/net/tcp6, as the kernel prints them (net/ipv4/tcp_ipv4.c get_tcp4_sock,
// net/ipv6/tcp_ipv6.c get_tcp6_sock). One line per socket:
//
//   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
//    0: 0100007F:930D 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  1000        0 478820 ...
//
// An address is the in-memory bytes of the network-order address, printed as 32-bit words with
// "%08X" in the CPU's byte order: on little-endian 127.0.0.1 (bytes 7F 00 00 01) is 0100007F,
// ::1 is 00000000000000000000000001000000. The port is the number itself, "%04X". `st` is the
// TCP state (01 ESTABLISHED … 0B CLOSING), `uid` the socket inode's owner (whoever created it),
// `inode` the socket's inode: 0 once no file refers to it (an orphan: its process closed it).
import { endianness } from 'node:os';

export type ByteOrder = 'LE' | 'BE';

export interface ProcNetSocket {
  local: string; // "0100007F:930D"
  remote: string;
  state: number;
  uid: number;
  inode: number;
}

export const TCP_STATES: Record<number, string> = {
  1: 'ESTABLISHED',
  2: 'SYN_SENT',
  3: 'SYN_RECV',
  4: 'FIN_WAIT1',
  5: 'FIN_WAIT2',
  6: 'TIME_WAIT',
  7: 'CLOSE',
  8: 'CLOSE_WAIT',
  9: 'LAST_ACK',
  10: 'LISTEN',
  11: 'CLOSING',
};

/** The bytes of an IPv4 or IPv6 address in text form (zone ids like `%lo` ignored), or undefined. */
export function parseIpAddress(text: string): Uint8Array | undefined {
  const address = text.split('%')[0] ?? '';
  if (!address.includes(':')) return parseIpv4(address);
  const halves = address.split('::');
  if (halves.length > 2) return undefined;
  const groups = (part: string | undefined): number[] | undefined => {
    if (!part) return [];
    const out: number[] = [];
    const items = part.split(':');
    for (const [i, item] of items.entries()) {
      if (i === items.length - 1 && item.includes('.')) {
        const v4 = parseIpv4(item);
        if (!v4) return undefined;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(item)) return undefined;
        out.push(parseInt(item, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...new Array<number>(missing).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  all.forEach((group, i) => {
    bytes[2 * i] = group >> 8;
    bytes[2 * i + 1] = group & 0xff;
  });
  return bytes;
}

function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return Uint8Array.from(parts.map(Number));
}

/** IPv4 as an IPv4-mapped IPv6 address (::ffff:a.b.c.d); IPv6 as is. */
export function asIpv6(bytes: Uint8Array): Uint8Array {
  if (bytes.length === 16) return bytes;
  return Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...bytes]);
}

/** IPv4 as is; an IPv4-mapped IPv6 address as its IPv4 address; other IPv6: undefined. */
export function asIpv4(bytes: Uint8Array): Uint8Array | undefined {
  if (bytes.length === 4) return bytes;
  const mapped = bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  return mapped ? bytes.slice(12) : undefined;
}

/** "ADDR:PORT" as /proc/net/tcp{,6} prints it on a CPU of the given byte order. */
export function encodeProcAddress(bytes: Uint8Array, port: number, order: ByteOrder = hostByteOrder()): string {
  const buffer = Buffer.from(bytes);
  let hex = '';
  for (let i = 0; i < buffer.length; i += 4) {
    const word = order === 'LE' ? buffer.readUInt32LE(i) : buffer.readUInt32BE(i);
    hex += word.toString(16).toUpperCase().padStart(8, '0');
  }
  return `${hex}:${port.toString(16).toUpperCase().padStart(4, '0')}`;
}

export function hostByteOrder(): ByteOrder {
  return endianness();
}

/** One socket line of /proc/net/tcp{,6}; undefined for the header or a line that does not parse. */
export function parseProcNetLine(line: string): ProcNetSocket | undefined {
  const fields = line.trim().split(/\s+/);
  if (fields.length < 10 || !/^\d+:$/.test(fields[0] ?? '')) return undefined;
  const [, local, remote, st, , , , uid, , inode] = fields;
  if (!/^[0-9A-F]+:[0-9A-F]{4}$/i.test(local!) || !/^[0-9A-F]+:[0-9A-F]{4}$/i.test(remote!)) return undefined;
  if (!/^[0-9A-F]{2}$/i.test(st!) || !/^\d+$/.test(uid!) || !/^\d+$/.test(inode!)) return undefined;
  return {
    local: local!.toUpperCase(),
    remote: remote!.toUpperCase(),
    state: parseInt(st!, 16),
    uid: Number(uid),
    inode: Number(inode),
  };
}

/** Where to look for the client's end of an accepted TCP connection: which file, which line. */
export interface ClientSocketKey {
  file: 'tcp' | 'tcp6';
  local: string; // the client's address = our remote address
  remote: string; // = our local address
}

/**
 * The client's socket has, as its local address, our socket's remote address, and as its remote
 * address our local one. A client on an AF_INET socket is in /proc/net/tcp; one on an AF_INET6
 * socket (IPv6, or IPv4-mapped ::ffff:a.b.c.d when it connected to a dual-stack listener) in
 * /proc/net/tcp6 — we do not know which, so both keys are returned when both can exist.
 */
export function clientSocketKeys(
  ours: { localAddress: string; localPort: number; remoteAddress: string; remotePort: number },
  order: ByteOrder = hostByteOrder(),
): ClientSocketKey[] {
  const client = parseIpAddress(ours.remoteAddress);
  const server = parseIpAddress(ours.localAddress);
  if (!client || !server) return [];
  const keys: ClientSocketKey[] = [];
  const client4 = asIpv4(client);
  const server4 = asIpv4(server);
  if (client4 && server4) {
    keys.push({
      file: 'tcp',
      local: encodeProcAddress(client4, ours.remotePort, order),
      remote: encodeProcAddress(server4, ours.localPort, order),
    });
  }
  keys.push({
    file: 'tcp6',
    local: encodeProcAddress(asIpv6(client), ours.remotePort, order),
    remote: encodeProcAddress(asIpv6(server), ours.localPort, order),
  });
  return keys;
}

/**
 * The client's socket among the lines of /proc/net/tcp and tcp6: one a process still holds
 * (inode ≠ 0) if there is one, else an orphan left by a client that closed (inode 0), else none.
 */
export function findClientSocket(
  tables: Partial<Record<'tcp' | 'tcp6', string>>,
  keys: ClientSocketKey[],
): ProcNetSocket | undefined {
  let orphan: ProcNetSocket | undefined;
  for (const key of keys) {
    const text = tables[key.file];
    if (!text) continue;
    // A cheap substring test first: only the few lines holding the client's address are parsed.
    let from = 0;
    for (;;) {
      const at = text.indexOf(key.local, from);
      if (at < 0) break;
      from = at + key.local.length;
      const start = text.lastIndexOf('\n', at) + 1;
      const end = text.indexOf('\n', at);
      const socket = parseProcNetLine(text.slice(start, end < 0 ? undefined : end));
      if (!socket || socket.local !== key.local || socket.remote !== key.remote) continue;
      if (socket.inode !== 0) return socket;
      orphan ??= socket;
    }
  }
  return orphan;
}
