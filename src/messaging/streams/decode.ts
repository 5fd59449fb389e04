import type { Codec } from '../../codec/index.js'
import { RedisExpertError } from '../../errors.js'
import { fieldOf, type RawEntry } from '../../kit/stream-entries.js'
import { DATA_FIELD } from './keyspace.js'

/** Decodes the message of an entry; DECODE_FAILED names the stream and the entry. */
export function decodeEntry<T>(codec: Codec<T>, key: string, entry: RawEntry): T {
  const data = fieldOf(entry.fields, DATA_FIELD)
  if (data === undefined)
    throw new RedisExpertError('DECODE_FAILED', `${key} entry ${entry.id} has no '${DATA_FIELD}' field`, {
      details: { key, id: entry.id },
    })
  try {
    return codec.decode(data)
  } catch (error) {
    throw new RedisExpertError('DECODE_FAILED', `${key} entry ${entry.id}: ${(error as Error).message}`, {
      cause: error,
      details: { key, id: entry.id, codec: codec.name },
    })
  }
}
