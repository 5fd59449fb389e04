import type { Codec } from '../codec/types.js'
import { RedisExpertError } from '../errors.js'

/**
 * How a cache value is stored: one string key holding a one-line header, then the value as
 * the entry's codec encodes it:
 *
 *     ~1|<freshUntil>|<createdAt>|<loadMs>|<flags>|<stamp>\n<payload>
 *
 * - freshUntil, createdAt: server-clock milliseconds. The key's Redis TTL is freshUntil plus
 *   the grace period, so an expired value stays readable (stale) during grace.
 * - loadMs: how long the loader took, which weights early refresh.
 * - flags: `n` for a cached "not found" (empty payload).
 * - stamp: `tag=version,…` — the versions of the entry's tags when it was loaded; the entry is
 *   valid while they are still current (tags are escaped, so `,` `=` `|` never occur in them).
 *
 * A value without the header (written by another tool, e.g. redis-py) is read as a plain value
 * whose freshness is its Redis TTL. The Lua scripts match the same header.
 */
export const HEADER_PREFIX = '~1|'
const NEWLINE = 0x0a

export interface Stored<T> {
  readonly value: T | undefined
  readonly negative: boolean
  /** +Infinity for a plain value (fresh while it exists). */
  readonly freshUntil: number
  /** -1 when unknown (plain value). */
  readonly createdAt: number
  readonly loadMs: number
  readonly stamp: string
}

export interface EnvelopeFields {
  readonly freshUntil: number
  readonly createdAt: number
  readonly loadMs: number
  readonly negative: boolean
  readonly stamp: string
}

export function encodeEnvelope<T>(
  codec: Codec<T>,
  fields: EnvelopeFields,
  value: T | undefined,
): string | Buffer {
  const header = `${HEADER_PREFIX}${fields.freshUntil}|${fields.createdAt}|${Math.round(fields.loadMs)}|${fields.negative ? 'n' : ''}|${fields.stamp}\n`
  if (fields.negative || value === undefined) return header
  const payload = codec.encode(value)
  return typeof payload === 'string' ? header + payload : Buffer.concat([Buffer.from(header), payload])
}

/** Throws DECODE_FAILED naming the key when the payload does not decode. */
export function decodeEnvelope<T>(codec: Codec<T>, reply: string | Buffer, key: string): Stored<T> {
  let header: string
  let payload: string | Buffer
  if (typeof reply === 'string') {
    const end = reply.startsWith(HEADER_PREFIX) ? reply.indexOf('\n') : -1
    if (end < 0) return plain(codec, reply, key)
    header = reply.slice(HEADER_PREFIX.length, end)
    payload = reply.slice(end + 1)
  } else {
    const end =
      reply.length > 3 && reply[0] === 0x7e && reply[1] === 0x31 && reply[2] === 0x7c
        ? reply.indexOf(NEWLINE)
        : -1
    if (end < 0) return plain(codec, reply, key)
    header = reply.toString('latin1', HEADER_PREFIX.length, end)
    payload = reply.subarray(end + 1)
  }
  const fields = header.split('|')
  const freshUntil = Number(fields[0])
  if (fields.length !== 5 || !Number.isFinite(freshUntil)) return plain(codec, reply, key)
  const negative = fields[3] === 'n'
  return {
    value: negative ? undefined : decode(codec, payload, key),
    negative,
    freshUntil,
    createdAt: Number(fields[1]),
    loadMs: Number(fields[2]) || 0,
    stamp: fields[4] as string,
  }
}

function plain<T>(codec: Codec<T>, reply: string | Buffer, key: string): Stored<T> {
  return {
    value: decode(codec, reply, key),
    negative: false,
    freshUntil: Number.POSITIVE_INFINITY,
    createdAt: -1,
    loadMs: 0,
    stamp: '',
  }
}

function decode<T>(codec: Codec<T>, payload: string | Buffer, key: string): T {
  try {
    return codec.decode(payload)
  } catch (error) {
    throw new RedisExpertError('DECODE_FAILED', `${key}: ${(error as Error).message}`, {
      cause: error,
      details: { key, codec: codec.name },
    })
  }
}

/** `tag=version,…` for the given (normalized) tags and their current versions. */
export function stampOf(tags: readonly string[], versions: ReadonlyMap<string, string>): string {
  let stamp = ''
  for (const tag of tags) stamp += `${stamp === '' ? '' : ','}${tag}=${versions.get(tag) ?? '0'}`
  return stamp
}

/** The tags a stamp names. */
export function tagsOfStamp(stamp: string): string[] {
  if (stamp === '') return []
  return stamp.split(',').map((pair) => pair.slice(0, pair.lastIndexOf('=')))
}
