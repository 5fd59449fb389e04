import { decodeFailed, encodeFailed } from './errors.js'
import type { Codec } from './types.js'

/**
 * Integers in decimal text: the representation INCRBY, HINCRBY and intset need. Used for
 * counters and integer sets; not selectable per entry, because those types have no other form.
 */
export const decimal: Codec<number> = {
  name: 'decimal',
  binary: false,
  encode(value: number): string {
    if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value === 0 ? 0 : value)
    throw encodeFailed('decimal', `expected a safe integer, got ${String(value)}`)
  },
  decode(reply: string | Buffer): number {
    const text = typeof reply === 'string' ? reply : reply.toString('latin1')
    // Redis writes integers as -?[1-9][0-9]* or 0; anything else was not written by INCRBY/SADD of an integer.
    if (/^(0|-?[1-9][0-9]*)$/.test(text)) {
      const value = Number(text)
      if (Number.isSafeInteger(value)) return value
      throw decodeFailed('decimal', `${text} is beyond the safe integer range of a JavaScript number`)
    }
    throw decodeFailed('decimal', `${JSON.stringify(text.slice(0, 40))} is not an integer`)
  },
}
