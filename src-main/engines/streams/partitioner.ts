/**
 * Kafka's default partitioner, so a key lands on the same partition number in the embedded log as in
 * Kafka: toPositive(murmur2(utf8(key))) % partitions (Java client `Utils.murmur2`, also kafkajs's
 * DefaultPartitioner). Keyless messages stick to one partition per batch and move round-robin between
 * batches, like Kafka's sticky partitioner.
 */

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/** Kafka's murmur2 (32-bit, signed result), byte for byte the Java implementation. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = SEED ^ length;
  const whole = length >> 2;
  for (let i = 0; i < whole; i++) {
    const i4 = i * 4;
    let k = data[i4]! | (data[i4 + 1]! << 8) | (data[i4 + 2]! << 16) | (data[i4 + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M);
    h ^= k;
  }
  const tail = length & ~3;
  const rest = length % 4;
  if (rest === 3) h ^= data[tail + 2]! << 16;
  if (rest >= 2) h ^= data[tail + 1]! << 8;
  if (rest >= 1) {
    h ^= data[tail]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

export const toPositive = (n: number): number => n & 0x7fffffff;

const encoder = new TextEncoder();
let scratch = new Uint8Array(256);

/** UTF-8 bytes of a key; ASCII keys (trip ids) are copied into a reused buffer instead of allocating. */
function keyBytes(key: string): Uint8Array {
  const n = key.length;
  if (n > scratch.length) scratch = new Uint8Array(Math.max(n, scratch.length * 2));
  for (let i = 0; i < n; i++) {
    const c = key.charCodeAt(i);
    if (c > 0x7f) return encoder.encode(key);
    scratch[i] = c;
  }
  return scratch.subarray(0, n);
}

/** The partition Kafka's default partitioner gives a key. */
export function partitionForKey(key: string | Uint8Array, partitions: number): number {
  const bytes = typeof key === 'string' ? keyBytes(key) : key;
  return toPositive(murmur2(bytes)) % partitions;
}

/** Chooses partitions for one producer: by key, or sticky per batch for keyless messages. */
export class Partitioner {
  private readonly next = new Map<string, number>();

  /** Partitions of a batch, in order; `sticky` is the partition keyless messages of this batch share. */
  assign(topic: string, partitions: number, messages: readonly { key?: string | null; partition?: number }[]): number[] {
    let sticky: number | null = null;
    return messages.map((m) => {
      if (m.partition !== undefined) return m.partition;
      if (m.key !== undefined && m.key !== null) return partitionForKey(m.key, partitions);
      sticky ??= this.stickyFor(topic, partitions);
      return sticky;
    });
  }

  private stickyFor(topic: string, partitions: number): number {
    // Start at a random partition so that several producers do not all fill partition 0 first.
    const n = this.next.get(topic) ?? Math.floor(Math.random() * partitions);
    this.next.set(topic, n + 1);
    return toPositive(n) % partitions;
  }
}
