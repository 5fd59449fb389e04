import { LogSketch, TopKeys } from './sketch.js'
import {
  type KeyRecord,
  type LargestKey,
  type PatternReport,
  type RuleId,
  TTL_BANDS,
  type TtlBand,
} from './types.js'

const TOP = 5

/** Keys of one pattern a rule singled out (big keys, small strings, keys without TTL...). */
export class FlagGroup {
  count = 0
  /** MEMORY USAGE of the flagged keys. */
  bytes = 0
  /** Largest element count / string length among them. */
  sizeMax = 0
  readonly top = new TopKeys(TOP)
  /** STRLEN of flagged strings, summed (hash-candidate's saving estimate needs value sizes). */
  sizeTotal = 0
  /** Key name bytes, summed (hash-candidate again: the field names a hash would store). */
  keyBytes = 0

  add(record: KeyRecord): void {
    this.count++
    this.bytes += record.bytes ?? 0
    this.sizeMax = Math.max(this.sizeMax, record.size ?? 0)
    this.sizeTotal += record.size ?? 0
    this.keyBytes += Buffer.byteLength(record.key)
    if (this.top.wants(record.bytes ?? 0)) this.top.add(largest(record))
  }

  merge(other: FlagGroup): void {
    this.count += other.count
    this.bytes += other.bytes
    this.sizeMax = Math.max(this.sizeMax, other.sizeMax)
    this.sizeTotal += other.sizeTotal
    this.keyBytes += other.keyBytes
    this.top.merge(other.top)
  }
}

function largest(record: KeyRecord): LargestKey {
  return {
    key: record.key,
    type: record.type,
    bytes: record.bytes ?? 0,
    size: record.size,
    encoding: record.encoding,
  }
}

function bump(map: Map<string, number>, key: string, by = 1): void {
  map.set(key, (map.get(key) ?? 0) + by)
}

function ttlBand(ms: number): TtlBand {
  for (const { band, belowMs } of TTL_BANDS) if (ms < belowMs) return band
  return '>=30d'
}

/** What the final report says about a pattern, plus the rule flags behind the findings. */
export interface PatternSummary extends PatternReport {
  readonly flags: ReadonlyMap<RuleId, FlagGroup>
}

/**
 * The statistics of one pattern, built key by key in bounded memory and mergeable (pattern
 * inference merges patterns when it learns a position varies).
 */
export class PatternAccumulator {
  keys = 0
  readonly types = new Map<string, number>()
  readonly encodings = new Map<string, number>()
  readonly memory = new LogSketch()
  memoryTotal = 0
  withTtl = 0
  readonly ttl = new LogSketch()
  readonly bands = new Map<string, number>()
  sizeTotal = 0
  sizeCount = 0
  sizeMax = 0
  readonly largest = new TopKeys(TOP)
  readonly flags = new Map<RuleId, FlagGroup>()
  /** Declared entry → keys (with --schema); '' counts keys no entry declares. */
  readonly entries = new Map<string, number>()

  add(record: KeyRecord, entry: string | null | undefined): void {
    this.keys++
    bump(this.types, record.type)
    if (record.encoding !== null) bump(this.encodings, record.encoding)
    if (record.bytes !== null) {
      this.memory.add(record.bytes)
      this.memoryTotal += record.bytes
      if (this.largest.wants(record.bytes)) this.largest.add(largest(record))
    }
    if (record.ttlMs >= 0) {
      this.withTtl++
      this.ttl.add(record.ttlMs)
      bump(this.bands, ttlBand(record.ttlMs))
    }
    if (record.size !== null) {
      this.sizeTotal += record.size
      this.sizeCount++
      if (record.size > this.sizeMax) this.sizeMax = record.size
    }
    if (entry !== undefined) bump(this.entries, entry ?? '')
  }

  flag(rule: RuleId, record: KeyRecord): void {
    let group = this.flags.get(rule)
    if (!group) {
      group = new FlagGroup()
      this.flags.set(rule, group)
    }
    group.add(record)
  }

  merge(other: PatternAccumulator): void {
    this.keys += other.keys
    for (const [k, n] of other.types) bump(this.types, k, n)
    for (const [k, n] of other.encodings) bump(this.encodings, k, n)
    this.memory.merge(other.memory)
    this.memoryTotal += other.memoryTotal
    this.withTtl += other.withTtl
    this.ttl.merge(other.ttl)
    for (const [k, n] of other.bands) bump(this.bands, k, n)
    this.sizeTotal += other.sizeTotal
    this.sizeCount += other.sizeCount
    this.sizeMax = Math.max(this.sizeMax, other.sizeMax)
    this.largest.merge(other.largest)
    for (const [rule, group] of other.flags) {
      const mine = this.flags.get(rule)
      if (mine) mine.merge(group)
      else this.flags.set(rule, group)
    }
    for (const [k, n] of other.entries) bump(this.entries, k, n)
  }

  summary(pattern: string, sampleScale: number): PatternSummary {
    // A pattern without a placeholder names one key: seen once, it is all there is.
    const scale = pattern.includes('<') ? sampleScale : 1
    const memoryKeys = this.memory.count
    const distribution = Object.fromEntries(
      TTL_BANDS.map(({ band }) => [band, this.bands.get(band) ?? 0]),
    ) as Record<TtlBand, number>
    const declared = [...this.entries.keys()]
    return {
      pattern,
      keys: this.keys,
      estimatedKeys: Math.round(this.keys * scale),
      types: sortedRecord(this.types),
      encodings: sortedRecord(this.encodings),
      memory: {
        total: this.memoryTotal,
        estimatedTotal: Math.round(this.memoryTotal * scale),
        avg: memoryKeys ? Math.round(this.memoryTotal / memoryKeys) : 0,
        p50: Math.round(this.memory.quantile(0.5) ?? 0),
        p99: Math.round(this.memory.quantile(0.99) ?? 0),
        max: this.memory.max ?? 0,
      },
      ttl: {
        withTtl: this.withTtl,
        withoutTtl: this.keys - this.withTtl,
        coverage: this.keys ? round(this.withTtl / this.keys, 4) : 0,
        minMs: this.ttl.min,
        p50Ms: roundOrNull(this.ttl.quantile(0.5)),
        maxMs: this.ttl.max,
        distribution,
      },
      size: {
        avg: this.sizeCount ? round(this.sizeTotal / this.sizeCount, 1) : 0,
        max: this.sizeMax,
      },
      largest: [...this.largest.keys],
      entry: declared.length === 1 && declared[0] !== '' ? (declared[0] as string) : null,
      flags: this.flags,
    }
  }
}

function sortedRecord(map: Map<string, number>): Record<string, number> {
  return Object.fromEntries([...map].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])))
}

function round(value: number, digits: number): number {
  const f = 10 ** digits
  return Math.round(value * f) / f
}

function roundOrNull(value: number | null): number | null {
  return value === null ? null : Math.round(value)
}
