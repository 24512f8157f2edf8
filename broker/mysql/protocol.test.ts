import { describe, expect, it } from 'vitest';
import { forwardedToBackend, offeredToClient } from './capabilities';
import { ClientConnectionError as MysqlSessionError, ProtocolViolationError as ProtocolError } from '../connector-kit';
import {
  Cap,
  createPacketFramer,
  encodeAuthSwitch,
  encodeErr,
  encodeHandshakeResponse,
  encodePacket,
  encodeServerGreeting,
  encodeSslRequest,
  has,
  parseAuthSwitch,
  parseErr,
  parseHandshakeResponse,
  parseServerGreeting,
  type HandshakeResponse,
  type ServerGreeting,
} from './protocol';
import { PayloadReader, lenencInt, printable } from './encoding';

const scramble = Buffer.from('abcdefghijklmnopqrst');
const mariadbGreeting: ServerGreeting = {
  serverVersion: '5.5.5-10.11.19-MariaDB',
  connectionId: 42,
  scramble,
  // MariaDB clears CLIENT_MYSQL (bit 0) and sends extended capabilities.
  capabilities: (0xfffff7fe & ~Cap.ZSTD_COMPRESSION) >>> 0,
  mariadbCapabilities: 0x1d,
  charset: 45,
  status: 2,
  authPlugin: 'mysql_native_password',
};

function response(overrides: Partial<HandshakeResponse> = {}): HandshakeResponse {
  return {
    capabilities:
      (Cap.PROTOCOL_41 |
        Cap.SECURE_CONNECTION |
        Cap.PLUGIN_AUTH |
        Cap.PLUGIN_AUTH_LENENC_CLIENT_DATA |
        Cap.CONNECT_WITH_DB |
        Cap.CONNECT_ATTRS |
        Cap.DEPRECATE_EOF |
        Cap.MULTI_RESULTS) >>>
      0,
    mariadbCapabilities: 0x04,
    maxPacketSize: 16 * 1024 * 1024,
    charset: 224,
    user: Buffer.from('anything'),
    authResponse: Buffer.alloc(20, 7),
    database: Buffer.from('orders'),
    authPlugin: 'mysql_native_password',
    attributes: Buffer.concat([lenencInt(12), lenencInt(4), Buffer.from('_pid'), lenencInt(6), Buffer.from('123456')]),
    ...overrides,
  };
}

describe('packet framing', () => {
  it('encodes the 3-byte length and the sequence id', () => {
    expect(encodePacket(3, Buffer.from('abc'))).toEqual(Buffer.from([3, 0, 0, 3, 0x61, 0x62, 0x63]));
    expect(encodePacket(256 + 5, Buffer.alloc(0))).toEqual(Buffer.from([0, 0, 0, 5]));
  });

  it('reassembles packets split at every byte boundary, with their sequence ids', () => {
    const stream = Buffer.concat([
      encodePacket(0, Buffer.from('hello')),
      encodePacket(1, Buffer.alloc(300, 9)),
      encodePacket(2, Buffer.alloc(0)),
    ]);
    for (let cut = 0; cut <= stream.length; cut++) {
      const framer = createPacketFramer(1024, 'client');
      const got = [];
      for (const part of [stream.subarray(0, cut), stream.subarray(cut)]) {
        framer.push(part);
        let packet;
        while ((packet = framer.next())) got.push(packet);
      }
      expect(got.map((p) => [p.seq, p.payload.length])).toEqual([
        [0, 5],
        [1, 300],
        [2, 0],
      ]);
      expect(framer.buffered).toBe(0);
    }
  });

  it('refuses a length over the limit before buffering the body (an HTTP request, an oversized packet)', () => {
    const http = createPacketFramer(1024, 'client');
    http.push(Buffer.from('GET / HTTP/1.1\r\n'));
    expect(() => http.next()).toThrow(
      /the client sent a packet of 5522759 bytes during the handshake \(at most 1024\)/,
    );
    const huge = createPacketFramer(1024, 'backend');
    huge.push(Buffer.from([0xff, 0xff, 0xff, 0]));
    expect(() => huge.next()).toThrow(ProtocolError);
  });

  it('hands over what follows the last whole packet', () => {
    const framer = createPacketFramer(1024, 'client');
    framer.push(Buffer.concat([encodePacket(0, Buffer.from('x')), Buffer.from([5, 0])]));
    expect(framer.next()?.payload.toString()).toBe('x');
    expect(framer.next()).toBeUndefined();
    expect(framer.takeRest()).toEqual(Buffer.from([5, 0]));
  });

  it('checks every field read against the payload bounds', () => {
    const r = new PayloadReader(Buffer.from([0xfc, 0x01]), 'test packet');
    expect(() => r.lenencInt()).toThrow(/truncated test packet/);
    expect(() => new PayloadReader(Buffer.from([0xff]), 'x').lenencInt()).toThrow(/invalid length-encoded integer/);
    expect(() => new PayloadReader(Buffer.from('abc'), 'x').nulTerminated()).toThrow(/unterminated/);
    const sizes = [0, 250, 251, 65535, 65536, 0xffffff, 0x1000000].map((n) => {
      const encoded = lenencInt(n);
      expect(new PayloadReader(Buffer.concat([encoded, Buffer.alloc(n)]), 'x').lenencInt()).toBe(n);
      return encoded.length;
    });
    expect(sizes).toEqual([1, 1, 3, 3, 4, 4, 9]);
    const absurd = Buffer.from([0xfe, 0, 0, 0, 0, 0, 0, 0, 1]);
    expect(() => new PayloadReader(absurd, 'x').lenencInt()).toThrow(/impossible length/);
  });
});

describe('greeting', () => {
  it('round-trips a MariaDB Handshake v10 with extended capabilities', () => {
    const parsed = parseServerGreeting(
      encodeServerGreeting({ ...mariadbGreeting, authPlugin: 'mysql_native_password' }),
    );
    expect(parsed).toEqual(mariadbGreeting);
  });

  it('round-trips a MySQL greeting (CLIENT_MYSQL set, no extended capabilities)', () => {
    const mysqlGreeting = {
      ...mariadbGreeting,
      serverVersion: '8.0.36',
      capabilities: 0xdfffffff,
      mariadbCapabilities: 0,
      authPlugin: 'caching_sha2_password',
    };
    expect(parseServerGreeting(encodeServerGreeting(mysqlGreeting))).toEqual(mysqlGreeting);
  });

  it('rejects other protocol versions and truncated greetings', () => {
    const good = encodeServerGreeting({ ...mariadbGreeting, authPlugin: 'mysql_native_password' });
    expect(() => parseServerGreeting(Buffer.concat([Buffer.from([9]), good.subarray(1)]))).toThrow(
      /protocol version 9/,
    );
    expect(() => parseServerGreeting(good.subarray(0, 40))).toThrow(/truncated server greeting/);
  });
});

describe('handshake response', () => {
  it('round-trips HandshakeResponse41 with database, plugin and connect attributes', () => {
    const r = response();
    expect(parseHandshakeResponse(encodeHandshakeResponse(r))).toEqual({ kind: 'response', ...r });
  });

  it('reads a 1-byte auth length when the client lacks PLUGIN_AUTH_LENENC_CLIENT_DATA', () => {
    const r = response({
      capabilities: (Cap.PROTOCOL_41 | Cap.SECURE_CONNECTION | Cap.LONG_PASSWORD) >>> 0,
      mariadbCapabilities: 0,
    });
    const { database: _d, authPlugin: _p, attributes: _a, ...rest } = r;
    expect(parseHandshakeResponse(encodeHandshakeResponse(rest))).toEqual({ kind: 'response', ...rest });
  });

  it('recognises an SSLRequest, a pre-4.1 client and garbage', () => {
    expect(parseHandshakeResponse(encodeSslRequest(response()))).toEqual({ kind: 'ssl' });
    expect(() => parseHandshakeResponse(Buffer.from([0x85, 0x00, 0x00, 0x00, 0, 0, 0]))).toThrow(/pre-4.1 protocol/);
    expect(() => parseHandshakeResponse(Buffer.from('hi'))).toThrow(/is 2 bytes long/);
    const noNul = Buffer.concat([encodeSslRequest(response()).subarray(0, 32), Buffer.from('user-without-end')]);
    noNul.writeUInt32LE(Cap.PROTOCOL_41, 0);
    expect(() => parseHandshakeResponse(noNul)).toThrow(/unterminated string in the handshake response/);
    const badAttrs = encodeHandshakeResponse(
      response({ attributes: Buffer.concat([lenencInt(3), lenencInt(9), Buffer.from('ab')]) }),
    );
    expect(() => parseHandshakeResponse(badAttrs)).toThrow(/truncated connect attributes/);
  });
});

describe('ERR and auth switch', () => {
  it('encodes ERR with the SQLSTATE marker and parses it back; long messages are cut', () => {
    const err = encodeErr(1045, '28000', 'sesame: denied');
    expect(err.subarray(0, 9)).toEqual(Buffer.from([0xff, 0x15, 0x04, 0x23, 0x32, 0x38, 0x30, 0x30, 0x30]));
    expect(parseErr(err)).toEqual({ code: 1045, sqlstate: '28000', message: 'sesame: denied' });
    expect(parseErr(encodeErr(1, 'HY000', 'x'.repeat(2000))).message).toHaveLength(500);
    expect(parseErr(Buffer.concat([Buffer.from([0xff, 0x10, 0x04]), Buffer.from('Too many connections')]))).toEqual({
      code: 1040,
      sqlstate: 'HY000',
      message: 'Too many connections',
    });
  });

  it('round-trips AuthSwitchRequest and recognises the old-password switch', () => {
    expect(parseAuthSwitch(encodeAuthSwitch('caching_sha2_password', scramble))).toEqual({
      plugin: 'caching_sha2_password',
      data: scramble,
    });
    expect(parseAuthSwitch(Buffer.from([0xfe]))).toBeUndefined();
  });

  it('escapes control bytes of peer data put into messages', () => {
    expect(printable(Buffer.from('a\x00b\nc'))).toBe('a\\x00b\\x0ac');
  });
});

describe('capability flags', () => {
  it('offers the backend command-phase flags without TLS or compression, plus its own auth flags', () => {
    const offered = offeredToClient({
      ...mariadbGreeting,
      capabilities: (mariadbGreeting.capabilities | Cap.SSL | Cap.COMPRESS) >>> 0,
    });
    expect(has(offered, Cap.SSL)).toBe(false);
    expect(has(offered, Cap.COMPRESS)).toBe(false);
    expect(has(offered, Cap.CAN_HANDLE_EXPIRED_PASSWORDS)).toBe(false);
    expect(has(offered, Cap.DEPRECATE_EOF)).toBe(true);
    expect(has(offered, Cap.PLUGIN_AUTH)).toBe(true);
    expect(has(offered, Cap.LONG_PASSWORD)).toBe(false);
  });

  it("forwards the client's choice within the offer, adding SSL, database and attributes as the login needs", () => {
    const offered = offeredToClient(mariadbGreeting);
    const client = response({
      capabilities: (response().capabilities | Cap.COMPRESS | Cap.SSL | Cap.CAN_HANDLE_EXPIRED_PASSWORDS) >>> 0,
    });
    const flags = forwardedToBackend(client, offered, mariadbGreeting.mariadbCapabilities, mariadbGreeting, {
      tls: true,
      database: false,
      attributes: true,
    });
    expect(has(flags.capabilities, Cap.SSL)).toBe(true);
    expect(has(flags.capabilities, Cap.COMPRESS)).toBe(false);
    expect(has(flags.capabilities, Cap.CAN_HANDLE_EXPIRED_PASSWORDS)).toBe(false);
    expect(has(flags.capabilities, Cap.CONNECT_WITH_DB)).toBe(false);
    expect(has(flags.capabilities, Cap.CONNECT_ATTRS)).toBe(true);
    expect(has(flags.capabilities, Cap.DEPRECATE_EOF)).toBe(true);
    expect(flags.mariadbCapabilities).toBe(0x04);
  });

  it('fails when a retried backend no longer offers a flag the client negotiated', () => {
    const offered = offeredToClient(mariadbGreeting);
    const older = { ...mariadbGreeting, capabilities: (mariadbGreeting.capabilities & ~Cap.DEPRECATE_EOF) >>> 0 };
    expect(() =>
      forwardedToBackend(response(), offered, 0x1d, older, { tls: false, database: true, attributes: false }),
    ).toThrow(MysqlSessionError);
  });
});
