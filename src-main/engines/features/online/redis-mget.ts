/**
 * MGET of many keys that share a prefix, sent as one RESP frame written straight into a buffer.
 *
 * ioredis encodes a command by concatenating a string per argument, and a batch read builds each key by
 * concatenating the prefix with the entity: for a 100-key read that was about 80 KB of short-lived
 * strings, a quarter of a request's garbage — and garbage, through young collections of about a
 * millisecond, is what sets the serving p99. Here the prefix and the entities are written into the frame
 * directly; ioredis still owns the connection, the reply parsing, reconnection and errors (the command
 * only overrides how it is written, which ioredis asks of every command through `toWritable`).
 */
import { Command } from 'ioredis';
import { ByteWriter } from './codec.js';

/** Writes a non-negative integer in decimal. */
function writeDecimal(w: ByteWriter, n: number): void {
  let digits = 1;
  for (let x = n; x >= 10; x = Math.floor(x / 10)) digits++;
  for (let i = digits - 1, x = n; i >= 0; i--, x = Math.floor(x / 10)) w.buf[w.pos + i] = 48 + (x % 10);
  w.pos += digits;
}

/** Byte length of `s` in UTF-8: its length when it is ASCII (the usual key), without a native call. */
function utf8Length(s: string): number {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return Buffer.byteLength(s, 'utf8');
  return s.length;
}

/** A command whose wire form was built beforehand. */
class PackedCommand extends Command {
  constructor(
    name: string,
    private readonly frame: Buffer,
  ) {
    super(name, [], { replyEncoding: null });
  }

  override toWritable(): Buffer {
    return this.frame;
  }
}

/** Appends one bulk string (`$len` CRLF bytes CRLF). */
function writeBulk(scratch: ByteWriter, text: string): void {
  const bytes = Buffer.byteLength(text, 'utf8');
  scratch.ensure(16 + bytes);
  scratch.buf[scratch.pos++] = 0x24; // $
  writeDecimal(scratch, bytes);
  scratch.pos += scratch.buf.write('\r\n', scratch.pos, 'latin1');
  scratch.pos += scratch.buf.write(text, scratch.pos, 'utf8');
  scratch.pos += scratch.buf.write('\r\n', scratch.pos, 'latin1');
}

/**
 * The RESP frame of `MGET [first] prefix+key…`; `scratch` is reused, the frame returned is a copy of its
 * own. `first` is a whole key read along with the others (a view's version, so both come from one
 * moment).
 */
export function mgetFrame(prefix: string, keys: readonly string[], scratch: ByteWriter, first?: string): Buffer {
  const head = Buffer.from(prefix, 'utf8');
  scratch.reset();
  scratch.ensure(32);
  scratch.buf[scratch.pos++] = 0x2a; // *
  writeDecimal(scratch, keys.length + 1 + (first === undefined ? 0 : 1));
  scratch.pos += scratch.buf.write('\r\n$4\r\nMGET\r\n', scratch.pos, 'latin1');
  if (first !== undefined) writeBulk(scratch, first);
  for (const key of keys) {
    // Plain loops, not Buffer.write per piece: a native call each was a tenth of a 100-key read.
    const keyBytes = utf8Length(key);
    scratch.ensure(16 + head.length + keyBytes);
    const buf = scratch.buf;
    buf[scratch.pos++] = 0x24; // $
    writeDecimal(scratch, head.length + keyBytes);
    buf[scratch.pos++] = 0x0d;
    buf[scratch.pos++] = 0x0a;
    for (let i = 0; i < head.length; i++) buf[scratch.pos + i] = head[i]!;
    scratch.pos += head.length;
    if (keyBytes === key.length) {
      for (let i = 0; i < keyBytes; i++) buf[scratch.pos + i] = key.charCodeAt(i);
    } else buf.write(key, scratch.pos, 'utf8');
    scratch.pos += keyBytes;
    buf[scratch.pos++] = 0x0d;
    buf[scratch.pos++] = 0x0a;
  }
  // A copy: the socket may still hold the frame when the next read reuses the scratch.
  return Buffer.from(scratch.view());
}

/** Values of `prefix+key` for each key, in order (null where there is none), after that of `first` when given. */
export function mgetPrefixed(
  client: { sendCommand(c: Command): unknown },
  prefix: string,
  keys: readonly string[],
  scratch: ByteWriter,
  first?: string,
): Promise<(Buffer | null)[]> {
  const command = new PackedCommand('mget', mgetFrame(prefix, keys, scratch, first));
  client.sendCommand(command);
  return command.promise as Promise<(Buffer | null)[]>;
}
