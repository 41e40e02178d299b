/* global Buffer, console, URL */
// Draws the app icon (a yellow taxi roof sign with a checker band on a dark rounded square) and writes
// it as PNGs: build/icon.png (1024, used by electron-builder for macOS and Windows) and build/icons/NxN.png
// for Linux. Plain Node (zlib), no network, no image library: `node build/make-icons.mjs`.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const here = path.dirname(new URL(import.meta.url).pathname);

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (buf) => {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type, data) => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
};

function png(size, pixel) {
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0; // filter: none
    for (let x = 0; x < size; x++) {
      const [r, g, b, a] = pixel((x + 0.5) / size, (y + 0.5) / size);
      raw.set([r, g, b, a], y * (size * 4 + 1) + 1 + x * 4);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const inRoundedRect = (u, v, x0, y0, x1, y1, r) => {
  const cx = Math.min(Math.max(u, x0 + r), x1 - r);
  const cy = Math.min(Math.max(v, y0 + r), y1 - r);
  return (u - cx) ** 2 + (v - cy) ** 2 <= r * r && u >= x0 && u <= x1 && v >= y0 && v <= y1;
};

const DARK = [15, 23, 42, 255];
const YELLOW = [250, 204, 21, 255];
const INK = [17, 24, 39, 255];
const CLEAR = [0, 0, 0, 0];
const WHEEL = [148, 163, 184, 255];

function icon(u, v) {
  if (!inRoundedRect(u, v, 0.04, 0.04, 0.96, 0.96, 0.2)) return CLEAR;
  // Roof sign.
  if (inRoundedRect(u, v, 0.36, 0.2, 0.64, 0.32, 0.04)) return YELLOW;
  // Car body with a checker band.
  if (inRoundedRect(u, v, 0.16, 0.38, 0.84, 0.7, 0.08)) {
    if (v > 0.5 && v < 0.58) return (Math.floor((u - 0.16) / 0.056) + (v < 0.54 ? 0 : 1)) % 2 ? INK : YELLOW;
    return YELLOW;
  }
  // Wheels.
  for (const cx of [0.3, 0.7]) if ((u - cx) ** 2 + (v - 0.72) ** 2 < 0.085 ** 2) return WHEEL;
  return DARK;
}

fs.mkdirSync(path.join(here, 'icons'), { recursive: true });
fs.writeFileSync(path.join(here, 'icon.png'), png(1024, icon));
for (const n of [16, 32, 48, 64, 128, 256, 512]) fs.writeFileSync(path.join(here, 'icons', `${n}x${n}.png`), png(n, icon));
console.log('wrote build/icon.png and build/icons/*.png');
