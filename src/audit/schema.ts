import type { ListpackLimits } from '../keyspace/encoding.js'
import type { Entry, Keyspace, TypeKind } from '../keyspace/index.js'
import { TopKeys } from './sketch.js'
import type { KeyRecord, LargestKey, RuleId } from './types.js'

/** What the declaration says about a key. */
export interface SchemaMatch {
  /** The entry that builds the key (`user`, or `shop.user` with several keyspaces); null when none does. */
  readonly entry: string | null
  /** The entry's declared pattern, `shop:user:<id>`; null when no entry matches. */
  readonly pattern: string | null
  /** The entry is declared `ttl: 'persistent'`: a missing TTL is intended. */
  readonly persistent: boolean
}

/** Keys of one entry that drift from its declaration in one way. */
export interface EntryDrift {
  readonly rule: Extract<RuleId, 'schema-type' | 'schema-ttl' | 'schema-bound' | 'schema-encoding'>
  readonly entry: string
  /** The declared pattern, `shop:user:<id>`. */
  readonly pattern: string
  /** The entry's role: a cache's TTL above its band is usually an undeclared grace period. */
  readonly role: string
  /** What the declaration says: `hash`, `30d`, `maxItems 32`, `listpack`. */
  readonly expected: string
  count: number
  bytes: number
  /** What was found instead → keys: `string`, `no TTL`, `hashtable`... */
  readonly found: Map<string, number>
  /** Largest size (schema-bound) or remaining TTL in ms (schema-ttl) seen. */
  max: number
  readonly examples: TopKeys
}

export interface NodeTraits {
  readonly limits: ListpackLimits
  readonly version: string
}

/** The Redis TYPE each declared kind is stored as. */
const REDIS_TYPE: Readonly<Record<TypeKind, string>> = {
  string: 'string',
  counter: 'string',
  json: 'string',
  hll: 'string',
  bitmap: 'string',
  hash: 'hash',
  list: 'list',
  set: 'set',
  zset: 'zset',
  stream: 'stream',
}

/** How compact an encoding is, per type: a key drifts when it is less compact than predicted. */
const COMPACTNESS: Readonly<Record<string, number>> = {
  int: 0,
  embstr: 1,
  raw: 2,
  intset: 0,
  listpack: 0,
  ziplist: 0,
  hashtable: 1,
  skiplist: 1,
  quicklist: 1,
  linkedlist: 1,
}

/** Types whose encoding says nothing about the declaration (an HLL is sparse or dense by itself). */
const NO_ENCODING_CHECK: ReadonlySet<TypeKind> = new Set(['hll', 'bitmap', 'stream'])

/** Grace for TTLs: PTTL is read a moment after the write that set it, never later than declared. */
const TTL_GRACE_MS = 1000

/**
 * Matches scanned keys to keyspace entries and collects every drift from the declaration:
 * wrong type, TTL missing or outside the declared band, collection past `maxItems`, encoding
 * less compact than the one predicted for the declared shape.
 */
export class SchemaMatcher {
  readonly #keyspaces: readonly { readonly prefix: string; readonly ks: Keyspace }[]
  readonly #entries = new Map<string, { readonly entry: Entry; readonly name: string }>()
  readonly #traits: (node: number) => NodeTraits
  readonly #predicted = new Map<string, string>()
  readonly #drifts = new Map<string, EntryDrift>()

  constructor(keyspaces: readonly Keyspace[], traits: (node: number) => NodeTraits) {
    this.#keyspaces = keyspaces.map((ks) => ({ prefix: `${ks.namespace}:`, ks }))
    this.#traits = traits
    for (const ks of keyspaces) {
      for (const entry of ks.entries) {
        const name = keyspaces.length > 1 ? `${ks.namespace}.${entry.name}` : entry.name
        this.#entries.set(`${ks.namespace}\u0000${entry.name}`, { entry, name })
      }
    }
  }

  get entryCount(): number {
    return this.#entries.size
  }

  /** Which entry declares the key, recording any drift. */
  check(record: KeyRecord): SchemaMatch {
    for (const { prefix, ks } of this.#keyspaces) {
      if (!record.key.startsWith(prefix)) continue
      const parsed = ks.parse(record.key)
      if (!parsed) continue
      const found = this.#entries.get(`${ks.namespace}\u0000${parsed.entry}`)
      if (!found) continue
      this.#inspect(found.entry, found.name, record)
      return {
        entry: found.name,
        pattern: found.entry.pattern,
        persistent: found.entry.policy.ttlMs === null,
      }
    }
    return { entry: null, pattern: null, persistent: false }
  }

  #inspect(entry: Entry, name: string, record: KeyRecord): void {
    const policy = entry.policy
    const expectedType = REDIS_TYPE[policy.kind]
    if (record.type !== expectedType) {
      this.#drift('schema-type', entry, name, expectedType, record, record.type, 0)
      return
    }
    if (policy.ttlMs === null) {
      if (record.ttlMs >= 0 && !policy.expiresWhenDone)
        this.#drift('schema-ttl', entry, name, 'persistent', record, 'expires', record.ttlMs)
    } else {
      const declared = entry.describe().ttl
      // A cache keeps a value its grace period past the TTL, to serve it stale (declared: grace).
      const band = policy.ttlMs * (1 + policy.jitter) + policy.graceMs
      if (record.ttlMs < 0) this.#drift('schema-ttl', entry, name, declared, record, 'no TTL', 0)
      else if (record.ttlMs > band + TTL_GRACE_MS)
        this.#drift('schema-ttl', entry, name, declared, record, 'TTL above the declared band', record.ttlMs)
    }
    if (policy.maxItems !== null && record.size !== null && record.size > policy.maxItems) {
      this.#drift(
        'schema-bound',
        entry,
        name,
        `maxItems ${policy.maxItems}`,
        record,
        `${record.size} items`,
        record.size,
      )
    }
    if (record.encoding !== null && !NO_ENCODING_CHECK.has(policy.kind)) {
      const predicted = this.#predict(entry, record.node)
      const want = COMPACTNESS[predicted]
      const got = COMPACTNESS[record.encoding]
      if (want !== undefined && got !== undefined && got > want)
        this.#drift('schema-encoding', entry, name, predicted, record, record.encoding, record.size ?? 0)
    }
  }

  #predict(entry: Entry, node: number): string {
    const cacheKey = `${node}\u0000${entry.pattern}`
    let predicted = this.#predicted.get(cacheKey)
    if (predicted === undefined) {
      const traits = this.#traits(node)
      predicted = entry.describe({ limits: traits.limits, version: traits.version }).encoding
      this.#predicted.set(cacheKey, predicted)
    }
    return predicted
  }

  #drift(
    rule: EntryDrift['rule'],
    entry: Entry,
    name: string,
    expected: string,
    record: KeyRecord,
    found: string,
    value: number,
  ): void {
    const id = `${rule}\u0000${name}`
    let drift = this.#drifts.get(id)
    if (!drift) {
      drift = {
        rule,
        entry: name,
        pattern: entry.pattern,
        role: entry.policy.role,
        expected,
        count: 0,
        bytes: 0,
        found: new Map(),
        max: 0,
        examples: new TopKeys(5),
      }
      this.#drifts.set(id, drift)
    }
    drift.count++
    drift.bytes += record.bytes ?? 0
    drift.found.set(found, (drift.found.get(found) ?? 0) + 1)
    drift.max = Math.max(drift.max, value)
    const example: LargestKey = {
      key: record.key,
      type: record.type,
      bytes: record.bytes ?? 0,
      size: record.size,
      encoding: record.encoding,
    }
    drift.examples.add(example)
  }

  drifts(): EntryDrift[] {
    return [...this.#drifts.values()]
  }
}
