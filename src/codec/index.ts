import { RedisExpertError } from '../errors.js'
import { json } from './json.js'
import { msgpack } from './msgpack.js'
import { bytes, raw } from './raw.js'
import type { Codec, CodecName } from './types.js'

export { decimal } from './decimal.js'
export { json } from './json.js'
export { msgpack } from './msgpack.js'
export { bytes, raw } from './raw.js'
export type { Codec, CodecName } from './types.js'

/** The built-in codecs by name. */
export const codecs: { readonly [N in CodecName]: Codec<unknown> } = {
  json,
  msgpack,
  raw: raw as Codec<unknown>,
  bytes: bytes as Codec<unknown>,
}

/** Resolves a codec name or object; anything else is an `INVALID_ARGUMENT`. */
export function resolveCodec(spec: CodecName | Codec<unknown>): Codec<unknown> {
  if (typeof spec === 'string') {
    const codec = (codecs as Record<string, Codec<unknown> | undefined>)[spec]
    if (codec && Object.hasOwn(codecs, spec)) return codec
  } else if (isCodec(spec)) {
    return spec
  }
  throw new RedisExpertError(
    'INVALID_ARGUMENT',
    `unknown codec ${JSON.stringify(spec)}: use 'json', 'msgpack', 'raw', 'bytes' or a Codec object`,
    { details: { codec: spec } },
  )
}

/**
 * Whether a value is a Codec object (an `encode` and a `decode`), as declarations accept in place of a
 * codec name.
 */
export function isCodec(value: unknown): value is Codec<unknown> {
  if (typeof value !== 'object' || value === null) return false
  const candidate = value as Partial<Codec<unknown>>
  return (
    typeof candidate.name === 'string' &&
    typeof candidate.binary === 'boolean' &&
    typeof candidate.encode === 'function' &&
    typeof candidate.decode === 'function'
  )
}
