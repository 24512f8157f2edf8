import { describe, expect, it } from 'vitest';
import { clientSocketKeys, encodeProcAddress, findClientSocket, parseIpAddress } from './proc-net';
import { findUnixPeerInode } from './unix-peer';

describe('/proc/net/tcp addresses', () => {
  it('encodes addresses as the kernel prints them on either byte order', () => {
    expect(encodeProcAddress(parseIpAddress('127.0.0.1')!, 0x930d, 'LE')).toBe('0100007F:930D');
    expect(encodeProcAddress(parseIpAddress('127.0.0.1')!, 80, 'BE')).toBe('7F000001:0050');
    expect(encodeProcAddress(parseIpAddress('::1')!, 5432, 'LE')).toBe('00000000000000000000000001000000:1538');
    expect(parseIpAddress('::ffff:127.0.0.1')).toEqual(
      Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 127, 0, 0, 1]),
    );
    expect(parseIpAddress('1::2::3')).toBeUndefined();
    expect(parseIpAddress('300.0.0.1')).toBeUndefined();
  });

  it('looks in tcp and tcp6 for an IPv4 peer, and prefers a held socket to an orphan', () => {
    const keys = clientSocketKeys(
      { localAddress: '127.0.0.1', localPort: 8080, remoteAddress: '127.0.0.1', remotePort: 37645 },
      'LE',
    );
    expect(keys.map((k) => k.file)).toEqual(['tcp', 'tcp6']);
    const header = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
    const line = (inode: number) =>
      `   1: 0100007F:930D 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  1000        0 ${inode} 1 0 20 4 30 10 -1\n`;
    expect(findClientSocket({ tcp: header + line(0) + line(478820) }, keys)).toMatchObject({
      inode: 478820,
      uid: 1000,
    });
    expect(findClientSocket({ tcp: header + line(0) }, keys)?.inode).toBe(0);
    expect(findClientSocket({ tcp: header }, keys)).toBeUndefined();
  });

  it('reads the peer inode of a unix socket from ss -xnH, paths with spaces included', () => {
    const out =
      'u_str ESTAB 0      0      /run/my dir/pg.sock 2021149 * 2021148\nu_str ESTAB 0      0      * 2021148 * 2021149\n';
    expect(findUnixPeerInode(out, 2021149)).toBe(2021148);
    expect(findUnixPeerInode(out, 2021148)).toBe(2021149);
    expect(findUnixPeerInode(out, 7)).toBeUndefined();
  });
});
