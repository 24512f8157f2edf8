// Deterministic randomness for fuzzing: one seed reproduces a whole run, and a failing case is
// named by (seed, index) so it can be replayed.
export interface Random {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Integer in [min, max] inclusive. */
  int(min: number, max: number): number;
  bytes(length: number): Buffer;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
}

/** mulberry32: small, fast and good enough to spread fuzz cases. */
export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  return {
    next,
    int,
    bytes(length) {
      const out = Buffer.allocUnsafe(length);
      for (let i = 0; i < length; i++) out[i] = int(0, 255);
      return out;
    },
    pick: (items) => items[int(0, items.length - 1)]!,
    chance: (p) => next() < p,
  };
}

/** Boundary values a length or count field is most often wrong with. */
const INTERESTING_U32 = [
  0, 1, 3, 4, 7, 8, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0xffffff, 0x1000000, 0x7fffffff, 0x80000000, 0xffffffff,
];

/**
 * A mutated copy of a valid message: bit flips, byte overwrites, interesting integers written
 * over 4-byte fields, truncation, insertion, duplication. `keepPrefix` bytes stay untouched
 * (e.g. a framing header the test wants the parser to get past), unless the dice say otherwise.
 */
export function mutate(random: Random, valid: Buffer, keepPrefix = 0): Buffer {
  let out = Buffer.from(valid);
  const rounds = random.int(1, 4);
  const from = random.chance(0.2) ? 0 : Math.min(keepPrefix, Math.max(0, out.length - 1));
  for (let r = 0; r < rounds; r++) {
    const at = out.length > from ? random.int(from, out.length - 1) : 0;
    switch (random.int(0, 6)) {
      case 0:
        if (out.length) out[at] = out[at]! ^ (1 << random.int(0, 7));
        break;
      case 1:
        if (out.length) out[at] = random.int(0, 255);
        break;
      case 2:
        if (out.length >= at + 4) out.writeUInt32BE(random.pick(INTERESTING_U32), at);
        break;
      case 3:
        out = out.subarray(0, random.int(0, out.length));
        break;
      case 4:
        out = Buffer.concat([out.subarray(0, at), random.bytes(random.int(1, 16)), out.subarray(at)]);
        break;
      case 5:
        out = Buffer.concat([out, out.subarray(from)]);
        break;
      default:
        if (out.length) out[at] = random.pick([0, 0xff, 0x7f, 0x80]);
        break;
    }
  }
  return out;
}
