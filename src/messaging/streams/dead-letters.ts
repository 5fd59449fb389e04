import type { Client } from '../../client/client.js'
import { identifier, optionNames, positiveInt, strictOptions } from '../../common/validate.js'
import { declareOn } from '../../kit/keyspace.js'
import { fieldOf, parseEntries, text } from '../../kit/stream-entries.js'
import { decodeEntry } from './decode.js'
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

/** Options of {@link readDeadLetters}: the stream's own (namespace, codec) and the page to read. */
export interface ReadDeadLettersOptions<T> extends StreamCommonOptions<T> {
  /** Entries per call, 1 to 1000; default 100. */
  readonly count?: number
  /** Read the entries after this dead-letter id (the last `id` of the previous page). */
  readonly after?: string
}

const READ_DEAD_LETTERS_OPTIONS = optionNames<ReadDeadLettersOptions<unknown>>({
  namespace: true,
  codec: true,
  count: true,
  after: true,
})

/** The oldest dead letters (XRANGE .. COUNT, one round trip); `after` pages on from an id. */
export async function readDeadLetters<T = unknown>(
  db: Client,
  stream: string,
  options?: ReadDeadLettersOptions<T>,
): Promise<DeadLetter<T>[]> {
  const o = strictOptions(
    'readDeadLetters options',
    options,
    READ_DEAD_LETTERS_OPTIONS,
  ) as ReadDeadLettersOptions<T>
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
