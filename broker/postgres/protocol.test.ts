import { describe, expect, it } from 'vitest';
import { ProtocolViolationError as ProtocolError } from '../connector-kit';
import {
  MAX_STARTUP_PACKET,
  authenticationOk,
  backendKeyData,
  cancelRequest,
  createFrameReader,
  encodeMessage,
  errorResponse,
  gssEncRequest,
  negotiateProtocolVersion,
  noticeResponse,
  parameterStatus,
  parseAuthentication,
  parseBackendKeyData,
  parseErrorResponse,
  parseNegotiateProtocolVersion,
  parseNoticeResponse,
  parseParameterStatus,
  parseReadyForQuery,
  parseStartupPacket,
  passwordMessage,
  readyForQuery,
  saslInitialResponse,
  saslResponse,
  sslRequest,
  startupMessage,
} from './protocol';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('startup packets', () => {
  it('encodes SSLRequest, GSSENCRequest and CancelRequest as the protocol defines them', () => {
    expect(sslRequest()).toEqual(hex('00000008 04d2162f'));
    expect(gssEncRequest()).toEqual(hex('00000008 04d21630'));
    expect(cancelRequest(1234, hex('deadbeef'))).toEqual(hex('00000010 04d2162e 000004d2 deadbeef'));
  });

  it('round-trips a StartupMessage 3.0 with its parameters', () => {
    const params = new Map([
      ['user', 'alice'],
      ['database', 'orders'],
      ['application_name', 'psql'],
    ]);
    const bytes = startupMessage(params);
    expect(bytes.subarray(0, 8)).toEqual(hex('0000003a 00030000'));
    const reader = createFrameReader(1024);
    reader.push(bytes);
    const packet = parseStartupPacket(reader.readStartupPacket()!);
    expect(packet).toEqual({ kind: 'startup', major: 3, minor: 0, parameters: params });
  });

  it('parses SSL, GSS and cancel requests and a 3.2 startup', () => {
    const parse = (b: Buffer) => parseStartupPacket(b.subarray(4));
    expect(parse(sslRequest())).toEqual({ kind: 'ssl' });
    expect(parse(gssEncRequest())).toEqual({ kind: 'gssenc' });
    expect(parse(cancelRequest(7, hex('01020304')))).toEqual({
      kind: 'cancel',
      processId: 7,
      secretKey: hex('01020304'),
    });
    const v32 = parse(startupMessage(new Map([['user', 'u']]), 2));
    expect(v32).toMatchObject({ kind: 'startup', major: 3, minor: 2 });
  });

  it("refuses a parameter list that does not end at the packet's last byte, in the postmaster's words", () => {
    const good = startupMessage(new Map([['user', 'u']])).subarray(4);
    const layout = 'invalid startup packet layout: expected terminator as last byte';
    expect(() => parseStartupPacket(good.subarray(0, good.length - 1))).toThrow(layout);
    expect(() => parseStartupPacket(Buffer.concat([good, Buffer.from('xx')]))).toThrow(layout);
    expect(() => parseStartupPacket(Buffer.concat([hex('00030000'), Buffer.from('user\0')]))).toThrow(layout);
  });

  it('takes each encryption request once; a repeated one is an unknown protocol version, as in PostgreSQL', () => {
    // Extra bytes in an SSLRequest are ignored, as the postmaster ignores them.
    expect(parseStartupPacket(hex('04d2162f 00'))).toEqual({ kind: 'ssl' });
    expect(parseStartupPacket(sslRequest().subarray(4), { ssl: true, gss: false })).toMatchObject({
      kind: 'startup',
      major: 1234,
      minor: 5679,
    });
    expect(parseStartupPacket(gssEncRequest().subarray(4), { ssl: false, gss: true })).toMatchObject({
      major: 1234,
      minor: 5680,
    });
  });

  it('takes a CancelRequest of 16 bytes only, refusing others without a word', () => {
    for (const key of [hex('01'), hex('0102030405')]) {
      let thrown: unknown;
      try {
        parseStartupPacket(cancelRequest(7, key).subarray(4));
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(ProtocolError);
      expect(thrown).toMatchObject({
        clientMessage: null,
        message: expect.stringMatching(/^invalid length of startup packet/),
      });
    }
  });
});

describe('frame reader', () => {
  it('reassembles packets split at every byte boundary', () => {
    const stream = Buffer.concat([sslRequest(), startupMessage(new Map([['user', 'bob']]))]);
    for (let cut = 1; cut < stream.length; cut++) {
      const reader = createFrameReader(1024);
      reader.push(stream.subarray(0, cut));
      const got: Buffer[] = [];
      let packet;
      while ((packet = reader.readStartupPacket())) got.push(packet);
      reader.push(stream.subarray(cut));
      while ((packet = reader.readStartupPacket())) got.push(packet);
      expect(got.map((b) => parseStartupPacket(b).kind)).toEqual(['ssl', 'startup']);
      expect(reader.buffered).toBe(0);
    }
  });

  it('reads typed messages fed one byte at a time and keeps the rest for the data phase', () => {
    const stream = Buffer.concat([
      authenticationOk(),
      parameterStatus('server_version', '15.18'),
      readyForQuery('I'),
      Buffer.from('Q'),
    ]);
    const reader = createFrameReader(1024);
    const types: string[] = [];
    for (const byte of stream) {
      reader.push(Buffer.from([byte]));
      for (let m = reader.readMessage(); m; m = reader.readMessage()) types.push(m.type);
    }
    expect(types).toEqual(['R', 'S', 'Z']);
    expect(reader.takeRest()).toEqual(Buffer.from('Q'));
  });

  it('rejects oversized and undersized lengths before buffering the body', () => {
    const huge = createFrameReader(1024);
    huge.push(hex('7fffffff'));
    expect(() => huge.readStartupPacket()).toThrow(/^invalid length of startup packet \(2147483647;/);
    const tooLong = createFrameReader(1024);
    tooLong.push(
      Buffer.concat([hex(`0000${(MAX_STARTUP_PACKET + 5).toString(16).padStart(4, '0')}`), Buffer.alloc(10)]),
    );
    expect(() => tooLong.readStartupPacket()).toThrow(ProtocolError);
    // The postmaster's limit counts the packet without its length word.
    const longest = createFrameReader(1024);
    longest.push(hex(`0000${(MAX_STARTUP_PACKET + 4).toString(16).padStart(4, '0')}`));
    expect(longest.readStartupPacket()).toBeUndefined();
    const tiny = createFrameReader(1024);
    tiny.push(hex('00000004'));
    expect(() => tiny.readStartupPacket()).toThrow(/^invalid length of startup packet \(4;/);
    const typed = createFrameReader(100);
    typed.push(hex('52 00000065'));
    expect(() => typed.readMessage()).toThrow(/invalid length 101 for message type 'R'/);
    const negative = createFrameReader(100);
    negative.push(hex('01 ffffffff'));
    expect(() => negative.readMessage()).toThrow(/message type '0x01'/);
  });

  it('treats an HTTP request as garbage, not as a packet to wait for', () => {
    const reader = createFrameReader(1024);
    reader.push(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    expect(() => reader.readStartupPacket()).toThrow(ProtocolError);
  });
});

describe('authentication messages', () => {
  it('parses each Authentication request the broker handles', () => {
    const body = (m: Buffer) => m.subarray(5);
    expect(parseAuthentication(body(authenticationOk()))).toEqual({ kind: 'ok' });
    expect(parseAuthentication(hex('00000003'))).toEqual({ kind: 'cleartext' });
    expect(parseAuthentication(hex('00000005 0a0b0c0d'))).toEqual({ kind: 'md5', salt: hex('0a0b0c0d') });
    const sasl = Buffer.concat([hex('0000000a'), Buffer.from('SCRAM-SHA-256-PLUS\0SCRAM-SHA-256\0\0')]);
    expect(parseAuthentication(sasl)).toEqual({ kind: 'sasl', mechanisms: ['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256'] });
    expect(parseAuthentication(Buffer.concat([hex('0000000b'), Buffer.from('r=abc')]))).toEqual({
      kind: 'sasl-continue',
      data: Buffer.from('r=abc'),
    });
    expect(parseAuthentication(Buffer.concat([hex('0000000c'), Buffer.from('v=xyz')]))).toEqual({
      kind: 'sasl-final',
      data: Buffer.from('v=xyz'),
    });
    expect(parseAuthentication(hex('00000007'))).toEqual({ kind: 'unsupported', code: 7, method: 'GSSAPI' });
    expect(() => parseAuthentication(hex('0000'))).toThrow(/truncated Authentication/);
    expect(() => parseAuthentication(hex('00000005 0a0b'))).toThrow(/truncated/);
  });

  it('encodes PasswordMessage, SASLInitialResponse and SASLResponse', () => {
    expect(passwordMessage('pw')).toEqual(Buffer.concat([hex('70 00000007'), Buffer.from('pw\0')]));
    expect(saslInitialResponse('SCRAM-SHA-256', Buffer.from('n,,n=,r=x'))).toEqual(
      Buffer.concat([hex('70 0000001f'), Buffer.from('SCRAM-SHA-256\0'), hex('00000009'), Buffer.from('n,,n=,r=x')]),
    );
    expect(saslResponse(Buffer.from('c=biws'))).toEqual(Buffer.concat([hex('70 0000000a'), Buffer.from('c=biws')]));
  });
});

describe('server startup messages', () => {
  it('round-trips NegotiateProtocolVersion, ParameterStatus, BackendKeyData and ReadyForQuery', () => {
    const npv = negotiateProtocolVersion(0x30000, ['_pq_.compression']);
    expect(npv[0]).toBe('v'.charCodeAt(0));
    expect(parseNegotiateProtocolVersion(npv.subarray(5))).toEqual({
      newest: 0x30000,
      unrecognizedOptions: ['_pq_.compression'],
    });
    expect(parseParameterStatus(parameterStatus('TimeZone', 'UTC').subarray(5))).toEqual({
      name: 'TimeZone',
      value: 'UTC',
    });
    const key = { processId: 4242, secretKey: hex('01020304') };
    expect(backendKeyData(key)).toEqual(hex('4b 0000000c 00001092 01020304'));
    expect(parseBackendKeyData(backendKeyData(key).subarray(5))).toEqual(key);
    expect(() => parseBackendKeyData(hex('00001092 01'))).toThrow(/BackendKeyData/);
    expect(readyForQuery('T')).toEqual(hex('5a 00000005 54'));
    expect(parseReadyForQuery(Buffer.from('E'))).toBe('E');
    expect(() => parseReadyForQuery(Buffer.from('X'))).toThrow(ProtocolError);
  });

  it('builds an ErrorResponse psql can read: severity, SQLSTATE, message', () => {
    const bytes = errorResponse({
      severity: 'FATAL',
      code: '28000',
      message: "sesame: connection 'orders-db': no password",
    });
    expect(bytes[0]).toBe('E'.charCodeAt(0));
    expect(bytes.readInt32BE(1)).toBe(bytes.length - 1);
    const parsed = parseErrorResponse(bytes.subarray(5));
    expect(parsed).toMatchObject({
      severity: 'FATAL',
      code: '28000',
      message: "sesame: connection 'orders-db': no password",
    });
    expect(parsed.fields).toMatchObject({ S: 'FATAL', V: 'FATAL', C: '28000' });
  });

  it('parses a real server ErrorResponse and NoticeResponse field by field', () => {
    const body = Buffer.from(
      'SFATAL\0VFATAL\0C28P01\0Mpassword authentication failed for user "app"\0Fauth.c\0L330\0Rauth_failed\0\0',
    );
    expect(parseErrorResponse(body)).toMatchObject({
      severity: 'FATAL',
      code: '28P01',
      message: 'password authentication failed for user "app"',
    });
    const notice = noticeResponse({ severity: 'WARNING', code: '01000', message: 'careful', hint: 'look' });
    expect(parseNoticeResponse(notice.subarray(5))).toMatchObject({
      severity: 'WARNING',
      code: '01000',
      message: 'careful',
      hint: 'look',
    });
    expect(() => parseErrorResponse(Buffer.from('SFATAL'))).toThrow(/ErrorResponse/);
    expect(encodeMessage('S', Buffer.alloc(0))).toEqual(hex('53 00000004'));
  });
});
