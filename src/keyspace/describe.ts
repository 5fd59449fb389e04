import { formatTtl } from '../common/ttl.js'
import { strictOptions } from '../common/validate.js'
import type { EntryPolicy } from './declaration.js'
import { predictEncoding, type ServerTraits } from './encoding.js'

/** One row of the Key Schema table (also the JSON `schema --format json` prints). */
export interface SchemaRow {
  readonly name: string
  /** Full pattern, namespace included: `shop:user:<id>`. */
  readonly pattern: string
  readonly type: string
  /** null when persistent. */
  readonly ttlMs: number | null
  /** `30d`, `persistent`, `persistent until done` (expiresWhenDone). */
  readonly ttl: string
  readonly jitter: number
  readonly sliding: boolean
  readonly role: string
  readonly durability: string
  readonly maxItems: number | null
  readonly maxValueBytes: number | null
  /** null for types whose bytes Redis defines (HyperLogLog, bitmap). */
  readonly codec: string | null
  /** Predicted `OBJECT ENCODING` at the declared bound. */
  readonly encoding: string
  readonly encodingNote: string
  /** The hash tag as written (`{<uid>}`), or null. */
  readonly slotTag: string | null
  /** The SCAN MATCH glob for this entry's keys (a superset: other entries may match it too). */
  readonly match: string
  readonly description: string | null
}

/**
 * One entry's row of the Key Schema table; `traits` (a server's listpack limits and version) refine the
 * predicted encoding.
 */
export function describeEntry(entry: EntryPolicy, traits: ServerTraits = {}): SchemaRow {
  strictOptions('server traits', traits, ['limits', 'version'])
  const prediction = predictEncoding(
    { kind: entry.kind, integers: entry.integers, items: entry.maxItems, valueBytes: entry.maxValueBytes },
    traits,
  )
  return {
    name: entry.name,
    pattern: entry.pattern.full,
    type: entry.integers ? 'set<integer>' : entry.kind,
    ttlMs: entry.ttlMs,
    ttl: entry.expiresWhenDone ? 'persistent until done' : formatTtl(entry.ttlMs),
    jitter: entry.jitter,
    sliding: entry.sliding,
    role: entry.role,
    durability: entry.durability,
    maxItems: entry.maxItems,
    maxValueBytes: entry.maxValueBytes,
    codec: entry.codec?.name ?? null,
    encoding: prediction.encoding,
    encodingNote: prediction.note,
    slotTag: entry.pattern.tag === null ? null : `{${entry.pattern.tag}}`,
    match: entry.pattern.match,
    description: entry.description,
  }
}
