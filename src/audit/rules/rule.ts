import type { ListpackLimits } from '../../keyspace/encoding.js'
import type { PatternSummary } from '../accumulate.js'
import type { CommandCatalog, UserView } from '../acl-drift.js'
import type { NodeFacts } from '../facts.js'
import type { EntryDrift, SchemaMatch } from '../schema.js'
import type { Thresholds } from '../thresholds.js'
import type { Finding, KeyRecord, RuleId } from '../types.js'

/** What a per-key check knows besides the key. */
export interface KeyEnv {
  readonly thresholds: Thresholds
  /** The listpack limits of the master the key lives on. */
  limits(node: number): ListpackLimits
  /** The server version of that master (`7.0.15`). */
  version(node: number): string
}

/** Everything a rule may look at once the scan is done. */
export interface RuleContext {
  readonly mode: 'standalone' | 'cluster'
  readonly nodes: readonly NodeFacts[]
  readonly patterns: readonly PatternSummary[]
  readonly thresholds: Thresholds
  readonly scan: {
    readonly keys: number
    readonly totalKeys: number
    /** totalKeys / keys when --sample stopped early, else 1. */
    readonly scale: number
    readonly sampled: boolean
    /** Commands the server refused during the scan (`MEMORY USAGE`, `OBJECT ENCODING`). */
    readonly unavailable: readonly string[]
  }
  /** With --schema: the drifts found; null without a schema. */
  readonly schema: { readonly drifts: readonly EntryDrift[] } | null
  /** With keyspaces and `acl`: the users `redis-expert acl` generates, for the security rule's drift check. */
  readonly acl?: { readonly users: readonly UserView[]; readonly catalog: CommandCatalog } | null
}

/**
 * One rule of the audit, one file each. A rule may single out keys while they are scanned
 * (`flag`, kept per pattern in bounded memory), then turns what it saw into findings.
 */
export interface Rule {
  readonly id: RuleId
  /** One line for docs and the HTML report. */
  readonly title: string
  /** True for keys this rule is about; they reach `evaluate` as `pattern.flags.get(id)`. */
  readonly flag?: (record: KeyRecord, env: KeyEnv, schema: SchemaMatch | null) => boolean
  /** The rule's findings over everything the scan gathered. */
  evaluate(context: RuleContext): Finding[]
}
