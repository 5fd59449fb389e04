import type { RedisExpertClient } from '../../client/client.js'
import { declareOn } from '../../common/keyspace.js'
import { identifier, plainOptions, positiveInt } from '../../common/validate.js'
import { decodeEntry, fieldOf, parseEntries, text } from './entry.js'
import { streamKeyspace } from './keyspace.js'
import { resolveCommon, type StreamCommonOptions } from './options.js'

/** An entry of the dead-letter stream: the original message and why it ended there. */
export interface DeadLetter<T> {
  /** Its id in the dead-letter stream. */
  readonly id: string
  /** Its id in the original stream. */
  readonly sourceId: string
  readonly group: string
  readonly deliveries: number
  readonly error: string
  /** The decoded message; undefined when it could not be decoded (the reason it is here). */
  readonly message: T | undefined
}

/** The oldest dead letters (XRANGE .. COUNT, one round trip); `after` pages on from an id. */
export async function readDeadLetters<T = unknown>(
  db: RedisExpertClient,
  stream: string,
  options?: StreamCommonOptions<T> & { readonly count?: number; readonly after?: string },
): Promise<DeadLetter<T>[]> {
  const o = plainOptions('readDeadLetters options', options) as StreamCommonOptions<T> & {
    count?: number
    after?: string
  }
  const name = identifier('stream', stream)
  const { namespace, codec, codecName } = resolveCommon(o)
  const count = positiveInt('count', o.count, 100, 1000)
  const keyspace = streamKeyspace(namespace, codecName)
  declareOn(db, keyspace)
  const key = keyspace.dead.key({ stream: name })
  const start = o.after === undefined ? '-' : `(${identifier('after', o.after)}`
  const reply = await db.call(['XRANGE', key, start, '+', 'COUNT', count], { buffers: codec.binary })
  return parseEntries(reply).map((entry) => {
    let message: T | undefined
    try {
      message = decodeEntry(codec, key, entry)
    } catch {
      message = undefined
    }
    return {
      id: entry.id,
      sourceId: text(fieldOf(entry.fields, 'source')),
      group: text(fieldOf(entry.fields, 'group')),
      deliveries: Number(text(fieldOf(entry.fields, 'deliveries'))),
      error: text(fieldOf(entry.fields, 'error')),
      message,
    }
  })
}
