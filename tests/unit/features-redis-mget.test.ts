import { describe, expect, it } from 'vitest';
import { ByteWriter } from '../../src-main/engines/features/online/codec.js';
import { mgetFrame } from '../../src-main/engines/features/online/redis-mget.js';

/** RESP as the protocol spells it, built the plain way: what the frame must equal byte for byte. */
const resp = (args: string[]): Buffer => Buffer.concat([Buffer.from(`*${args.length}\r\n`), ...args.map((a) => Buffer.concat([Buffer.from(`$${Buffer.byteLength(a)}\r\n`), Buffer.from(a), Buffer.from('\r\n')]))]);

describe('MGET frame', () => {
  it('is the RESP array of MGET and the prefixed keys, lengths in bytes for any text', () => {
    const keys = ['t1', '', 'ünï 🚕', 'tab\there', 'x'.repeat(300)];
    const frame = mgetFrame('app:trip_features:', keys, new ByteWriter(16));
    expect(frame.equals(resp(['MGET', ...keys.map((k) => `app:trip_features:${k}`)]))).toBe(true);
  });

  it('leaves the returned frame intact when the scratch buffer is reused', () => {
    const scratch = new ByteWriter(64);
    const first = mgetFrame('p:', ['a', 'b'], scratch);
    const copy = Buffer.from(first);
    mgetFrame('q:', ['ccccccccccccccccccccccccccccc'], scratch);
    expect(first.equals(copy)).toBe(true);
    expect(first.equals(resp(['MGET', 'p:a', 'p:b']))).toBe(true);
  });

  it('counts more than nine keys and multi-digit lengths right', () => {
    const keys = Array.from({ length: 123 }, (_, i) => `k${i}`);
    expect(mgetFrame('', keys, new ByteWriter()).equals(resp(['MGET', ...keys]))).toBe(true);
  });
});
