/**
 * A codec turns a typed value into the bytes Redis stores and back. Codecs are stateless and
 * synchronous so that typed operations can encode every value of a batch before the one round trip.
 *
 * `encode` and `decode` throw `ENCODE_FAILED` / `DECODE_FAILED`; they do not know the key, so the
 * typed operation that calls them rethrows with `details.key` (see `ops/value.ts`).
 */
export interface Codec<T = unknown> {
  /** Shown in the Key Schema table and the decision log. */
  readonly name: string
  /**
   * True when encoded values are arbitrary bytes: replies must then be read as Buffers
   * (`{ buffers: true }`), because decoding them as UTF-8 text would corrupt them.
   */
  readonly binary: boolean
  // Method syntax on purpose: it keeps `Codec<Product>` assignable to `Codec<unknown>`.
  /** The bytes to store for a value. */
  encode(value: T): string | Buffer
  /**
   * The value from a Redis reply; throws when the bytes are not a value of this codec (reported as
   * DECODE_FAILED with the key).
   */
  decode(reply: string | Buffer): T
}

/** The codecs an entry can name in its declaration; a `Codec` object is accepted as well. */
export type CodecName = 'json' | 'msgpack' | 'raw' | 'bytes'
