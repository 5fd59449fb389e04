import { Packr } from 'msgpackr'
import { decodeFailed, encodeFailed, errorMessage } from './errors.js'
import type { Codec } from './types.js'

// Plain MessagePack only: no msgpackr "records" extension, so that redis-py + msgpack (or any
// other language) reads what we write and we read what they write; variableMapSize: the
// smallest map header (fixmap), as other encoders write it. Maps decode as Map and become
// plain objects below: decoding straight to objects assigns `obj['__proto__'] = …`, which
// sets the prototype instead of a field (data loss, and a pollution vector).
const packr = new Packr({ useRecords: false, mapsAsObjects: false, variableMapSize: true })

/** MessagePack (msgpackr): compact and binary; replies are read as Buffers. */
export const msgpack: Codec<unknown> = {
  name: 'msgpack',
  binary: true,
  encode(value: unknown): Buffer {
    // msgpackr encodes `undefined` as an extension other decoders do not know: refuse it.
    if (value === undefined) throw encodeFailed('msgpack', 'undefined is not representable in MessagePack')
    try {
      return packr.pack(value)
    } catch (error) {
      throw encodeFailed('msgpack', errorMessage(error), error)
    }
  },
  decode(reply: string | Buffer): unknown {
    // A text reply means the caller read a binary value as UTF-8: the bytes are already lost.
    if (typeof reply === 'string') {
      throw decodeFailed('msgpack', 'received text; binary values must be read with { buffers: true }')
    }
    let value: unknown
    try {
      // unpack throws on truncated data and on trailing bytes after the first value.
      value = packr.unpack(reply)
    } catch (error) {
      throw decodeFailed('msgpack', errorMessage(error), error)
    }
    // 0xC1 is "never used" in the spec; msgpackr returns a marker object instead of failing.
    if (isNeverUsedMarker(value)) throw decodeFailed('msgpack', 'the reserved byte 0xC1 is not a value')
    return plain(value)
  },
}

/** Maps → plain objects with own properties only (a `__proto__` key stays a field), recursively. */
function plain(value: unknown): unknown {
  if (value instanceof Map) {
    const object: Record<string, unknown> = {}
    for (const [key, item] of value) {
      Object.defineProperty(object, String(key), {
        value: plain(item),
        enumerable: true,
        writable: true,
        configurable: true,
      })
    }
    return object
  }
  if (Array.isArray(value)) return value.map(plain)
  return value
}

function isNeverUsedMarker(value: unknown): boolean {
  return typeof value === 'object' && value !== null && value.constructor?.name === 'C1Type'
}
