import { decodeFailed, encodeFailed } from './errors.js'
import type { Codec } from './types.js'

/** Raw text: the value is stored as given (UTF-8) and read back as a string. */
export const raw: Codec<string> = {
  name: 'raw',
  binary: false,
  encode(value: string): string | Buffer {
    if (typeof value === 'string' || Buffer.isBuffer(value)) return value
    throw encodeFailed('raw', `expected a string, got ${describeType(value)}`)
  },
  decode(reply: string | Buffer): string {
    if (typeof reply === 'string') return reply
    // fatal: invalid UTF-8 is reported rather than replaced with U+FFFD; ignoreBOM: a leading
    // U+FEFF is part of the value, not a marker to strip.
    try {
      return utf8.decode(reply)
    } catch (error) {
      throw decodeFailed('raw', 'the stored bytes are not valid UTF-8; use the bytes codec', error)
    }
  },
}

/** Raw bytes: Buffers in, Buffers out (images, protobuf, anything already serialized). */
export const bytes: Codec<Buffer> = {
  name: 'bytes',
  binary: true,
  encode(value: Buffer | Uint8Array): Buffer {
    if (Buffer.isBuffer(value)) return value
    if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength)
    throw encodeFailed('bytes', `expected a Buffer or Uint8Array, got ${describeType(value)}`)
  },
  decode(reply: string | Buffer): Buffer {
    if (Buffer.isBuffer(reply)) return reply
    throw decodeFailed('bytes', 'received text; binary values must be read with { buffers: true }')
  },
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

function describeType(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return `a ${typeof value}`
}
