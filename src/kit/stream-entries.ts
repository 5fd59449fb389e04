import type { Codec } from '../../codec/index.js'
import type { Reply } from '../../common/types.js'
import { RedisExpertError } from '../../errors.js'
import { DATA_FIELD } from './keyspace.js'

/** One stream entry as Redis returns it: its id and its fields as a flat [field, value, ...] list. */
export interface RawEntry {
  readonly id: string
  readonly fields: readonly (string | Buffer)[]
}

export const text = (value: Reply | undefined): string =>
  Buffer.isBuffer(value) ? value.toString() : String(value ?? '')

/** `[[id, [f, v, ...]], ...]` → entries; an entry whose fields are nil (deleted) is kept with none. */
export function parseEntries(reply: Reply | undefined): RawEntry[] {
  if (!Array.isArray(reply)) return []
  const entries: RawEntry[] = []
  for (const item of reply) {
    if (!Array.isArray(item)) continue
    const fields = Array.isArray(item[1]) ? (item[1] as (string | Buffer)[]) : []
    entries.push({ id: text(item[0]), fields })
  }
  return entries
}

/** The XREADGROUP reply for one stream: `[[key, entries]]` or nil on timeout. */
export function parseReadGroup(reply: Reply): RawEntry[] {
  if (!Array.isArray(reply) || !Array.isArray(reply[0])) return []
  return parseEntries(reply[0][1])
}

export function fieldOf(fields: readonly (string | Buffer)[], name: string): string | Buffer | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (text(fields[i]) === name) return fields[i + 1]
  return undefined
}

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
