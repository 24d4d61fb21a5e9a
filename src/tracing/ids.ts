/**
 * W3C trace and span ids: random, lowercase hex, never all zeros (16 and 8 bytes). Drawn from
 * the CSPRNG in pooled blocks: one system call per few hundred ids on the hot path.
 */
import { randomFillSync } from 'node:crypto';

const POOL = Buffer.alloc(4096);
let offset = POOL.length;
const ZEROS: Record<number, string> = { 8: '0'.repeat(16), 16: '0'.repeat(32) };

function randomHex(bytes: number): string {
  for (;;) {
    if (offset + bytes > POOL.length) {
      randomFillSync(POOL);
      offset = 0;
    }
    const id = POOL.toString('hex', offset, offset + bytes);
    offset += bytes;
    if (id !== ZEROS[bytes]) return id;
  }
}

export const newTraceId = (): string => randomHex(16);
export const newSpanId = (): string => randomHex(8);
