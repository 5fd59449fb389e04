/**
 * The audit's data model. `AuditReport` is the stable JSON contract (docs/audit.md): fields may
 * be added, none is renamed or changes meaning without bumping `version`.
 */

/** `high`: outage, data loss or a security hole; `medium`: real waste or latency risk; `low`: hygiene and savings; `info`: what the audit could not check. */
export type Severity = 'high' | 'medium' | 'low' | 'info'

/** Every severity, highest first. */
export const SEVERITIES: readonly Severity[] = ['high', 'medium', 'low', 'info']

/** The name of an audit rule, as `--rules` and findings spell it. */
export type RuleId =
  | 'no-ttl'
  | 'big-key'
  | 'hash-candidate'
  | 'encoding'
  | 'persistence'
  | 'eviction-policy'
  | 'security'
  | 'slowlog'
  | 'logical-databases'
  | 'memory-doctor'
  | 'lua-scripts'
  | 'clients'
  | 'audit-access'
  | 'cluster-node'
  | 'schema-undeclared'
  | 'schema-type'
  | 'schema-ttl'
  | 'schema-bound'
  | 'schema-encoding'

/** One thing the audit found, with the change that fixes it. */
export interface Finding {
  readonly rule: RuleId
  readonly severity: Severity
  /** The inferred pattern (or declared entry pattern) the finding is about. */
  readonly pattern?: string
  /** One key, for findings about a single key (the largest offender otherwise goes in `data`). */
  readonly key?: string
  /** The master(s) concerned, `host:port`, when not every master is. */
  readonly nodes?: readonly string[]
  readonly message: string
  readonly fix: string
  /** The numbers behind the finding (counts, bytes, thresholds), for tools and tests. */
  readonly data?: Readonly<Record<string, number | string | boolean | readonly string[] | null>>
}

/** What the pipeline learnt about one key. */
export interface KeyRecord {
  /** Printable form: UTF-8 when the bytes are valid UTF-8, otherwise `\xNN` escapes. */
  readonly key: string
  /** Index of the master in the report's `server.masters`. */
  readonly node: number
  /** `TYPE`: string, hash, list, set, zset, stream, or a module type name. */
  readonly type: string
  /** Remaining TTL in ms; -1 when the key does not expire. */
  readonly ttlMs: number
  /** `MEMORY USAGE`; null when the command is not allowed. */
  readonly bytes: number | null
  /** `OBJECT ENCODING`; null when not allowed. */
  readonly encoding: string | null
  /** STRLEN for strings, the element count for collections; null for other types. */
  readonly size: number | null
}

/** Per-pattern statistics: the `patterns` array of the report. */
export interface PatternReport {
  /** `user:<id>:profile`: varying parts replaced by placeholders. */
  readonly pattern: string
  /** Keys of this pattern seen by the scan. */
  readonly keys: number
  /** `keys` scaled to the whole keyspace when `--sample` stopped the scan early; equal to `keys` otherwise. */
  readonly estimatedKeys: number
  /** TYPE → number of keys. */
  readonly types: Readonly<Record<string, number>>
  /** OBJECT ENCODING → number of keys. */
  readonly encodings: Readonly<Record<string, number>>
  /** Bytes (MEMORY USAGE) of the keys seen; `estimatedTotal` scaled like `estimatedKeys`. */
  readonly memory: {
    readonly total: number
    readonly estimatedTotal: number
    readonly avg: number
    readonly p50: number
    readonly p99: number
    readonly max: number
  }
  readonly ttl: {
    readonly withTtl: number
    readonly withoutTtl: number
    /** withTtl / keys, 0..1. */
    readonly coverage: number
    /** Remaining TTL in ms over the keys that have one; null when none has. */
    readonly minMs: number | null
    readonly p50Ms: number | null
    readonly maxMs: number | null
    /** Keys per remaining-TTL band: `<1m`, `1m-1h`, `1h-1d`, `1d-7d`, `7d-30d`, `>=30d`. */
    readonly distribution: Readonly<Record<TtlBand, number>>
  }
  /** Elements (collections) or bytes (strings): average and largest. */
  readonly size: { readonly avg: number; readonly max: number }
  /** The largest keys by memory, largest first (at most 5). */
  readonly largest: readonly LargestKey[]
  /** With --schema: the declared entry every key of this pattern matched, else null. */
  readonly entry: string | null
}

/** A range of remaining TTLs, for the TTL distribution of a pattern. */
export type TtlBand = '<1m' | '1m-1h' | '1h-1d' | '1d-7d' | '7d-30d' | '>=30d'

/** The bounds of each TTL band, in ascending order: a TTL belongs to the first band it is below. */
export const TTL_BANDS: readonly { readonly band: TtlBand; readonly belowMs: number }[] = [
  { band: '<1m', belowMs: 60_000 },
  { band: '1m-1h', belowMs: 3_600_000 },
  { band: '1h-1d', belowMs: 86_400_000 },
  { band: '1d-7d', belowMs: 7 * 86_400_000 },
  { band: '7d-30d', belowMs: 30 * 86_400_000 },
  { band: '>=30d', belowMs: Number.POSITIVE_INFINITY },
]

/** One of the largest keys seen, with what made it large. */
export interface LargestKey {
  readonly key: string
  readonly type: string
  readonly bytes: number
  /** Elements or string length, as `size` above. */
  readonly size: number | null
  readonly encoding: string | null
}

/** What the audit saw on one master. */
export interface MasterReport {
  readonly address: string
  readonly version: string
  /** DBSIZE of the audited database. */
  readonly keys: number
  readonly usedMemory: number
  readonly maxmemory: number
  readonly maxmemoryPolicy: string
  readonly connectedClients: number
}

/** The audited server: topology, version and its masters. */
export interface ServerReport {
  readonly mode: 'standalone' | 'cluster'
  readonly version: string
  readonly masters: readonly MasterReport[]
  /** The logical database the scan covered (always 0 on a Cluster). */
  readonly database: number
  /** Keys per logical database over every master (from INFO keyspace), e.g. `{ "0": 5000, "1": 12 }`. */
  readonly databases: Readonly<Record<string, number>>
  readonly usedMemory: number
}

/** How the scan went: keys inspected, keys gone meanwhile, sampling and time. */
export interface ScanReport {
  /** Keys inspected. */
  readonly keys: number
  /** Keys SCAN returned that were gone (TYPE none) by the time they were inspected. */
  readonly vanished: number
  /** DBSIZE of the audited database at the start, summed over masters. */
  readonly totalKeys: number
  /** True when --sample stopped the scan before the end. */
  readonly sampled: boolean
  /** totalKeys / keys when sampled, else 1: the factor behind every `estimated*` field. */
  readonly scale: number
  readonly durationMs: number
  /** Commands the audit sent (SCAN + per-key inspection), and their rate. */
  readonly commands: number
  /** The --rate cap in commands/s per server, or null. */
  readonly rateLimit: number | null
  readonly startedAt: string
  /** Commands the server refused (NOPERM, renamed): the columns they would have filled are null. */
  readonly unavailable: readonly string[]
  /** With --schema: the keyspaces checked against. */
  readonly schema: { readonly keyspaces: readonly string[]; readonly entries: number } | null
}

/**
 * Everything an audit found: the server, the scan, the inferred patterns and the findings. Every renderer
 * (text, md, json, html) reads this one object.
 */
export interface AuditReport {
  /** Contract version; bumped on any incompatible change. */
  readonly version: 1
  readonly server: ServerReport
  readonly scanned: ScanReport
  /** Largest estimated memory first. */
  readonly patterns: readonly PatternReport[]
  /** Most severe first, then by rule and pattern. */
  readonly findings: readonly Finding[]
}
