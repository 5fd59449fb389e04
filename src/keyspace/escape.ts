import { RedisExpertError } from '../errors.js'

/**
 * Reversible escaping of key parameters.
 *
 * A parameter value is written as its UTF-8 bytes, where every byte outside the unreserved set
 * `A-Z a-z 0-9 - . _ ~` becomes `%XX` (two upper-case hex digits), and the empty string becomes
 * the sentinel `%` alone. Consequences, each of which the keyspace relies on:
 *
 * - An encoded parameter only contains unreserved characters and `%`. It never contains a
 *   delimiter (`:` `/` `#` ...), a glob metacharacter (`*` `?` `[` `]` `\`), a brace (so it can
 *   neither open nor close a Redis hash tag), whitespace, a control byte or a non-ASCII byte.
 * - It is never empty, so a parameter always occupies at least one character of the key.
 * - The encoding is canonical: exactly one text decodes to a given value (upper-case hex only,
 *   unreserved bytes never percent-encoded, `%` alone only for the empty string), so decoding
 *   is the inverse of encoding and a key parses to exactly one set of parameters.
 */

const UNRESERVED = /^[A-Za-z0-9\-._~]$/
const HEX = '0123456789ABCDEF'
/**
 * How an empty key parameter is written in a key (a lone `%`, which escaping never produces otherwise), so
 * that no parameter is ever empty in a key.
 */
export const EMPTY_SENTINEL = '%'

/** Per byte: itself when unreserved, else its `%XX` form. Built once. */
const BYTE_TEXT: readonly string[] = Array.from({ length: 256 }, (_, byte) => {
  const char = String.fromCharCode(byte)
  return byte < 0x80 && UNRESERVED.test(char) ? char : `%${HEX[byte >> 4]}${HEX[byte & 15]}`
})

/** True for a character an encoded parameter can contain. */
export function isParamChar(char: string): boolean {
  return char === '%' || UNRESERVED.test(char)
}

/** True for a character that stands for itself inside an encoded parameter. */
export function isUnreserved(char: string): boolean {
  return UNRESERVED.test(char)
}

/** A value accepted as a key parameter. Numbers must be safe integers (see `paramText`). */
export type ParamValue = string | number | bigint

/**
 * The text of a parameter before escaping. Integers are accepted because ids are often numbers;
 * they are written in decimal, so `{ id: 42 }` and `{ id: '42' }` name the same key, and `parse`
 * always returns strings. Fractions, NaN and infinities are refused: their decimal text is not a
 * stable identifier (0.1 + 0.2, -0, 1e21).
 */
export function paramText(name: string, value: unknown): string {
  if (typeof value === 'string') {
    if (hasLoneSurrogate(value)) {
      throw paramInvalid(name, 'contains a lone UTF-16 surrogate, which has no UTF-8 encoding', value)
    }
    return value
  }
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) return String(value === 0 ? 0 : value)
    throw paramInvalid(name, `must be a string or a safe integer, got the number ${value}`, value)
  }
  if (typeof value === 'bigint') return value.toString()
  throw paramInvalid(
    name,
    value === undefined ? 'is missing' : `must be a string or an integer, got ${typeName(value)}`,
    value,
  )
}

/** Escapes one parameter (already validated by `paramText`). */
export function encodeParam(text: string): string {
  if (text === '') return EMPTY_SENTINEL
  // Fast path: most ids are already unreserved ASCII.
  if (/^[A-Za-z0-9\-._~]+$/.test(text)) return text
  let out = ''
  for (const byte of Buffer.from(text, 'utf8')) out += BYTE_TEXT[byte]
  return out
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/**
 * Inverse of `encodeParam`; `null` when the text is not a canonical encoding of any string
 * (bad `%XX`, lower-case hex, an escaped unreserved byte, invalid UTF-8...).
 */
export function decodeParam(encoded: string): string | null {
  if (encoded === EMPTY_SENTINEL) return ''
  if (encoded === '') return null
  if (!encoded.includes('%')) return /^[A-Za-z0-9\-._~]+$/.test(encoded) ? encoded : null
  const bytes: number[] = []
  for (let i = 0; i < encoded.length; ) {
    const char = encoded[i]!
    if (char === '%') {
      const hex = encoded.slice(i + 1, i + 3)
      if (!/^[0-9A-F]{2}$/.test(hex)) return null
      const byte = Number.parseInt(hex, 16)
      if (BYTE_TEXT[byte] !== `%${hex}`) return null
      bytes.push(byte)
      i += 3
    } else if (UNRESERVED.test(char)) {
      bytes.push(char.charCodeAt(0))
      i += 1
    } else {
      return null
    }
  }
  try {
    return utf8.decode(Uint8Array.from(bytes))
  } catch {
    return null
  }
}

function hasLoneSurrogate(text: string): boolean {
  return /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text)
}

function typeName(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return `a ${typeof value}`
}

export function paramInvalid(name: string, reason: string, value: unknown): RedisExpertError {
  return new RedisExpertError('KEY_PARAM_INVALID', `key parameter <${name}> ${reason}`, {
    details: { param: name, value: typeof value === 'bigint' ? value.toString() : value },
  })
}
