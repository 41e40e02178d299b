/**
 * Seeded randomness. Every row draws from its own short mulberry32 stream whose start state is a hash
 * of (seed, row index): any row can be produced without the rows before it, so output does not depend
 * on batch size and ranges of rows can be generated apart (in workers) and still agree.
 */

/** murmur3's finalizer: a bijection on 32-bit integers that spreads every input bit over the output. */
export function mix32(x: number): number {
  let h = x | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

/** The per-run key all row states derive from. */
export const seedKeyOf = (seed: number): number => mix32(mix32(seed ^ 0x5bd1e995) + 0x27d4eb2f);

/** Start state of one row's stream; distinct for every index below 2^32 because both steps are bijections. */
export const rowStateOf = (seedKey: number, index: number): number => mix32(seedKey + Math.imul(index, 0x9e3779b9));

/** mulberry32: one add and a few multiplies per draw, good enough statistically for simulation. */
export class Mulberry32 {
  private state: number;

  constructor(state: number) {
    this.state = state | 0;
  }

  static fromSeed(seed: number): Mulberry32 {
    return new Mulberry32(seedKeyOf(seed));
  }

  reset(state: number): void {
    this.state = state | 0;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}
