import { describe, expect, it } from 'vitest';
import { createCommandTracker } from './command-tracker';
import { encodePacket, MAX_PACKET_PAYLOAD } from './protocol';

const command = (byte: number, body = 'x') => encodePacket(0, Buffer.concat([Buffer.from([byte]), Buffer.from(body)]));
const COM_QUERY = 0x03;
const COM_CHANGE_USER = 0x11;

/** Offsets (in the whole stream) where the tracker reports COM_CHANGE_USER, feeding `chunks`. */
function scanAll(chunks: Buffer[]): number[] {
  const tracker = createCommandTracker();
  const found: number[] = [];
  let base = 0;
  for (const chunk of chunks) {
    const at = tracker.scan(chunk);
    if (at >= 0) found.push(base + at);
    base += chunk.length;
  }
  return found;
}

describe('COM_CHANGE_USER watch', () => {
  it('finds COM_CHANGE_USER after other commands, at every way of splitting the stream', () => {
    const before = Buffer.concat([command(COM_QUERY, 'select 1'), command(0x19, 'abcd')]);
    const stream = Buffer.concat([before, command(COM_CHANGE_USER, 'user\0')]);
    for (let cut = 0; cut <= stream.length; cut++) {
      expect(scanAll([stream.subarray(0, cut), stream.subarray(cut)])).toEqual([before.length + 4]);
    }
    expect(scanAll([...stream].map((b) => Buffer.from([b])))).toEqual([before.length + 4]);
  });

  it('ignores the 0x11 byte anywhere but at the start of a command', () => {
    expect(scanAll([command(COM_QUERY, '\x11\x11\x11'), encodePacket(1, Buffer.from([COM_CHANGE_USER]))])).toEqual([]);
  });

  it('ignores LOAD DATA LOCAL INFILE content whose sequence id wraps to 0', () => {
    const packets = [command(COM_QUERY, "LOAD DATA LOCAL INFILE 'f' INTO TABLE t")];
    // The server's 0xFB request took id 1; file content starts at 2 and wraps after 255.
    for (let i = 0; i < 600; i++) packets.push(encodePacket((2 + i) & 0xff, Buffer.alloc(64, COM_CHANGE_USER)));
    packets.push(encodePacket((2 + 600) & 0xff, Buffer.alloc(0)));
    const afterInfile = Buffer.concat(packets).length;
    packets.push(command(COM_CHANGE_USER));
    expect(scanAll(packets)).toEqual([afterInfile + 4]);
  });

  it('sees a command after a file transfer whose terminating empty packet had id 255', () => {
    const packets = [command(COM_QUERY, 'LOAD DATA ...')];
    for (let seq = 2; seq < 255; seq++) packets.push(encodePacket(seq, Buffer.alloc(8, 1)));
    packets.push(encodePacket(255, Buffer.alloc(0)));
    const at = Buffer.concat(packets).length;
    packets.push(command(COM_CHANGE_USER));
    expect(scanAll(packets)).toEqual([at + 4]);
  });

  it('treats the packets after a maximal-length packet as continuation', () => {
    const first = Buffer.alloc(4 + MAX_PACKET_PAYLOAD);
    first.writeUIntLE(MAX_PACKET_PAYLOAD, 0, 3);
    first[3] = 0;
    first[4] = COM_QUERY;
    // Split into realistic chunk sizes; a continuation starting with 0x11 is data.
    const continuation = encodePacket(1, Buffer.from([COM_CHANGE_USER, 1, 2]));
    const stream = Buffer.concat([first, continuation, command(COM_QUERY)]);
    const chunks = [];
    for (let i = 0; i < stream.length; i += 65536) chunks.push(stream.subarray(i, i + 65536));
    expect(scanAll(chunks)).toEqual([]);
    expect(scanAll([...chunks, command(COM_CHANGE_USER)])).toEqual([stream.length + 4]);
  });
});
