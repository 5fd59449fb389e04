import { decodeFailed, encodeFailed, errorMessage } from './errors.js'
import type { Codec } from './types.js'

/**
 * JSON: the interoperable default (redis-py, any language reads it). Text, not binary.
 * Values JSON cannot represent faithfully are refused rather than silently changed:
 * `undefined`, functions and symbols (JSON.stringify drops them), BigInt (it throws),
 * and non-finite numbers (JSON.stringify turns them into `null`).
 */
export const json: Codec<unknown> = {
  name: 'json',
  binary: false,
  encode(value: unknown): string {
    if (typeof value === 'number' && !Number.isFinite(value)) {
      throw encodeFailed('json', `${value} is not representable in JSON`)
    }
    let text: string | undefined
    try {
      text = JSON.stringify(value)
    } catch (error) {
      throw encodeFailed('json', errorMessage(error), error)
    }
    if (text === undefined) throw encodeFailed('json', `a ${typeof value} is not representable in JSON`)
    return text
  },
  decode(reply: string | Buffer): unknown {
    const text = typeof reply === 'string' ? reply : reply.toString('utf8')
    try {
      return JSON.parse(text)
    } catch (error) {
      throw decodeFailed(
        'json',
        `${errorMessage(error)} (value starts with ${preview(text)}); if these keys hold plain text rather than JSON, declare the entry with codec: 'raw' (or type t.string())`,
        error,
      )
    }
  },
}

function preview(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text)
}
