// Watches the client→backend byte stream of the command phase for COM_CHANGE_USER, looking at
// packet headers only: the stream is otherwise forwarded untouched, chunk by chunk.
//
// A packet starts a command when its sequence id is 0, except when it continues something:
// the packet before it had the maximal length (a multi-packet payload goes on), or it follows a
// non-empty packet with sequence id 255 (LOAD DATA LOCAL INFILE content wraps the 8-bit
// sequence id; the file transfer ends with an empty packet, after which commands start again).
import { COM_CHANGE_USER, MAX_PACKET_PAYLOAD } from './protocol';

export interface CommandTracker {
  /**
   * Scans the next chunk of the stream. Returns the offset in `chunk` of the command byte of a
   * COM_CHANGE_USER packet (everything before it may be forwarded), or -1 when there is none.
   */
  scan(chunk: Buffer): number;
}

export function createCommandTracker(): CommandTracker {
  const header = Buffer.alloc(4);
  let headerHave = 0;
  /** Payload bytes of the current packet still to come. */
  let remaining = 0;
  /** The current packet is a command whose first payload byte has not arrived yet. */
  let awaitingCommandByte = false;
  let previousSeq = -1;
  let previousLength = 0;

  return {
    scan(chunk) {
      let pos = 0;
      while (pos < chunk.length) {
        if (awaitingCommandByte) {
          awaitingCommandByte = false;
          if (chunk[pos] === COM_CHANGE_USER) return pos;
        }
        if (remaining > 0) {
          const step = Math.min(remaining, chunk.length - pos);
          remaining -= step;
          pos += step;
          continue;
        }
        // A header, possibly split across chunks.
        const take = Math.min(4 - headerHave, chunk.length - pos);
        chunk.copy(header, headerHave, pos, pos + take);
        headerHave += take;
        pos += take;
        if (headerHave < 4) break;
        headerHave = 0;
        const length = header.readUIntLE(0, 3);
        const seq = header[3]!;
        const continues = previousLength === MAX_PACKET_PAYLOAD || (previousSeq === 255 && previousLength !== 0);
        previousSeq = seq;
        previousLength = length;
        remaining = length;
        if (seq === 0 && !continues && length > 0) awaitingCommandByte = true;
      }
      return -1;
    },
  };
}
