import type { Client } from '../../client/client.js'
import type { Command, RedisArg } from '../../common/types.js'
import { durationMs, identifier, optionNames, positiveInt, strictOptions } from '../../common/validate.js'
import { invalidArgument, RedisExpertError } from '../../errors.js'
import { declareOn } from '../../kit/keyspace.js'
import { text } from '../../kit/stream-entries.js'
import { DATA_FIELD, type StreamKeyspace, streamKeyspace } from './keyspace.js'
import { resolveCommon, type StreamCommonOptions } from './options.js'

/**
 * How the stream is kept bounded, in the XADD itself (no extra round trip):
 * - `{ maxLen }`: keep about the newest `maxLen` entries (`MAXLEN ~`);
 * - `{ minAgeMs }`: drop entries older than this (`MINID ~ <now - age>`);
 * - `'none'`: never trim (an unbounded log: only when something else trims it).
 * Trimming is by position or age, not by consumption: size the bound so that consumers keep up.
 */
export type Trim =
  | { readonly maxLen: number; readonly exact?: boolean }
  | { readonly minAgeMs: number; readonly exact?: boolean }
  | 'none'

export interface StreamProducerOptions<T> extends StreamCommonOptions<T> {
  /** Default `{ maxLen: 1_000_000 }` (approximate: trimmed a whole macro node at a time, O(1) amortised). */
  readonly trim?: Trim
}

/** Adds messages to one stream, trimmed in the same XADD. */
export interface StreamProducer<T> {
  /** `stream:{<name>}` */
  readonly key: string
  readonly keyspace: StreamKeyspace
  /** XADD with the trim: one round trip, one command. Resolves to the entry id. */
  add(message: T): Promise<string>
  /** One XADD per message, pipelined: one round trip for the lot. */
  addMany(messages: readonly T[]): Promise<string[]>
}

const DEFAULT_MAX_LEN = 1_000_000
const PRODUCER_OPTIONS = optionNames<StreamProducerOptions<unknown>>({
  namespace: true,
  codec: true,
  trim: true,
})

/** A producer for one stream: XADD with the trim in the same command (no extra round trip). */
export function createStreamProducer<T = unknown>(
  db: Client,
  stream: string,
  options?: StreamProducerOptions<T>,
): StreamProducer<T> {
  const o = strictOptions(
    'createStreamProducer options',
    options,
    PRODUCER_OPTIONS,
  ) as StreamProducerOptions<T>
  const name = identifier('stream', stream)
  const { namespace, codec, codecName } = resolveCommon(o)
  const trimArgs = trimOf(o.trim)
  const keyspace = streamKeyspace(namespace, codecName)
  declareOn(db, keyspace)
  const key = keyspace.stream.key({ stream: name })

  const xadd = (message: T): Command => {
    let encoded: string | Buffer
    try {
      encoded = codec.encode(message)
    } catch (error) {
      throw new RedisExpertError('ENCODE_FAILED', `${key}: ${(error as Error).message}`, {
        cause: error,
        details: { key, codec: codec.name },
      })
    }
    return ['XADD', key, ...trimArgs(), '*', DATA_FIELD, encoded]
  }

  return Object.freeze({
    key,
    keyspace,
    async add(message: T) {
      return text(await db.call(xadd(message)))
    },
    async addMany(messages: readonly T[]) {
      if (!Array.isArray(messages)) throw invalidArgument('addMany takes an array of messages')
      if (messages.length === 0) return []
      const replies = await db.batch(messages.map(xadd))
      return replies.map((reply) => text(reply))
    },
  })
}

function trimOf(trim: Trim | undefined): () => RedisArg[] {
  if (trim === 'none') return () => []
  const t =
    trim === undefined
      ? { maxLen: DEFAULT_MAX_LEN }
      : strictOptions('trim', trim, ['maxLen', 'minAgeMs', 'exact'])
  const mode = t.exact === true ? '=' : '~'
  if ('maxLen' in t && 'minAgeMs' in t) throw invalidArgument('trim: give maxLen or minAgeMs, not both')
  if ('maxLen' in t) {
    const maxLen = positiveInt('trim.maxLen', t.maxLen)
    const args: RedisArg[] = ['MAXLEN', mode, maxLen]
    return () => args
  }
  if ('minAgeMs' in t) {
    const age = durationMs('trim.minAgeMs', t.minAgeMs)
    // Stream ids start with the server's milliseconds; the producer's clock is close enough for a
    // retention bound (skew only shifts the cut by the skew).
    return () => ['MINID', mode, `${Date.now() - age}-0`]
  }
  throw invalidArgument("trim must be { maxLen }, { minAgeMs } or 'none'", { trim })
}
