import { C1, Packr } from 'msgpackr'
import { decodeFailed, encodeFailed, errorMessage } from './errors.js'
import type { Codec } from './types.js'

// Plain MessagePack only: no msgpackr "records" extension, so that redis-py + msgpack (or any
// other language) reads what we write and we read what they write; variableMapSize: the
// smallest map header (fixmap), as other encoders write it. Maps decode as Map and become
// plain objects below: decoding straight to objects assigns `obj['__proto__'] = …`, which
// sets the prototype instead of a field (data loss, and a pollution vector). 64-bit integers
// decode as BigInt (msgpackr's default) so that `plain` can tell them from floats.
const packr = new Packr({ useRecords: false, mapsAsObjects: false, variableMapSize: true })

/**
 * Integers are exact in both directions within ±(2^53 − 1), JavaScript's safe range:
 * - msgpackr alone writes a safe integer beyond 32 bits as a float64 (Python would read
 *   `1099511627776.0`); this codec writes it as a 64-bit integer (int64, 0xd3), which every
 *   MessagePack reader returns as an integer. A number beyond the safe range is a float that
 *   happens to be integral (1e300) and stays a float64.
 * - A 64-bit integer read back becomes a number when it is safe; beyond ±(2^53 − 1) (Python's
 *   2^63 − 1, say) it is DECODE_FAILED rather than a BigInt the declared type does not allow or
 *   a rounded number. Writing one (a BigInt beyond the safe range) is ENCODE_FAILED.
 * Other languages' encoders may choose uint64 (0xcf) for positive integers; both read the same.
 */
const INT32_MIN = -(2 ** 31)
const UINT32_MAX = 2 ** 32 - 1
const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER)

/** MessagePack (msgpackr): compact and binary; replies are read as Buffers. */
export const msgpack: Codec<unknown> = {
  name: 'msgpack',
  binary: true,
  encode(value: unknown): Buffer {
    // msgpackr encodes `undefined` as an extension other decoders do not know: refuse it.
    if (value === undefined) throw encodeFailed('msgpack', 'undefined is not representable in MessagePack')
    const exact = needsIntegers(value, 0) ? withIntegers(value, 0) : value
    try {
      return packr.pack(exact)
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

/** Deeper than this the value is refused by msgpackr anyway; the walk stops looking. */
const MAX_DEPTH = 512

/** True when the value holds an integer msgpackr would not write exactly as it stands. */
function needsIntegers(value: unknown, depth: number): boolean {
  if (typeof value === 'number')
    return Number.isSafeInteger(value) && (value < INT32_MIN || value > UINT32_MAX)
  if (typeof value === 'bigint') return true
  if (depth > MAX_DEPTH || typeof value !== 'object' || value === null || ArrayBuffer.isView(value))
    return false
  if (Array.isArray(value)) return value.some((item) => needsIntegers(item, depth + 1))
  if (value instanceof Map) {
    for (const item of value.values()) if (needsIntegers(item, depth + 1)) return true
    return false
  }
  if (!isPlainObject(value)) return false
  for (const key of Object.keys(value))
    if (needsIntegers((value as Record<string, unknown>)[key], depth + 1)) return true
  return false
}

/** A copy where every integer beyond 32 bits is a BigInt (written as int64), unsafe ones refused. */
function withIntegers(value: unknown, depth: number): unknown {
  if (typeof value === 'number') {
    // Beyond the safe range a number is a float that happens to be integral: float64 holds it exactly.
    if (!Number.isSafeInteger(value) || (value >= INT32_MIN && value <= UINT32_MAX)) return value
    return BigInt(value)
  }
  if (typeof value === 'bigint') {
    if (value > SAFE_MAX || value < -SAFE_MAX) {
      throw encodeFailed(
        'msgpack',
        `${value} is beyond ±(2^53 − 1), the integer range read back exactly; store it as a string`,
      )
    }
    return value >= BigInt(INT32_MIN) && value <= BigInt(UINT32_MAX) ? Number(value) : value
  }
  if (depth > MAX_DEPTH || typeof value !== 'object' || value === null || ArrayBuffer.isView(value))
    return value
  if (Array.isArray(value)) return value.map((item) => withIntegers(item, depth + 1))
  if (value instanceof Map) {
    return new Map([...value].map(([key, item]) => [key, withIntegers(item, depth + 1)]))
  }
  if (!isPlainObject(value)) return value
  // A Map keeps a "__proto__" key a key (an object literal would make it the prototype).
  return new Map(
    Object.keys(value).map((key) => [key, withIntegers((value as Record<string, unknown>)[key], depth + 1)]),
  )
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/** Maps → plain objects with own properties only (a `__proto__` key stays a field), recursively. */
function plain(value: unknown): unknown {
  if (typeof value === 'bigint') {
    if (value > SAFE_MAX || value < -SAFE_MAX) {
      throw decodeFailed(
        'msgpack',
        `the integer ${value} is beyond ±(2^53 − 1): a JavaScript number cannot hold it exactly`,
      )
    }
    return Number(value)
  }
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

/** msgpackr's one marker object for 0xC1, by identity (a class name would not survive minification). */
function isNeverUsedMarker(value: unknown): boolean {
  return value === C1
}
