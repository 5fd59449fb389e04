/**
 * The guard's vocabulary. Everything here is plain data: the guard decides from a command line
 * and a few facts the client supplies (key positions, declarations, durability), never from I/O.
 */

import type { GuardCode } from '../errors.js'

/** One argument as the client sends it. A `Buffer` is a `Uint8Array`. */
export type GuardArg = string | number | Uint8Array

/** A command line: the name, then its arguments, e.g. `['SET', key, value, 'PX', 1000]`. */
export type GuardCommand = readonly GuardArg[]

/** The four hard stops, split the way a refusal names them. */
/** `script`: a script built at the call site whose command names cannot be read statically. */
export type GuardRule =
  | 'keys'
  | 'unbounded'
  | 'ttl-required'
  | 'durability'
  | 'blocking'
  | 'crossslot'
  | 'script'

/** Stable error codes, one per rule (`GuardError.code`): listed once, with every other code, in src/errors.ts. */
export { GUARD_CODES, type GuardCode } from '../errors.js'

/** The error code each guard rule raises. */
export const CODE_OF_RULE: Readonly<Record<GuardRule, GuardCode>> = {
  keys: 'GUARD_KEYS',
  unbounded: 'GUARD_UNBOUNDED',
  'ttl-required': 'GUARD_TTL_REQUIRED',
  durability: 'GUARD_DURABILITY',
  blocking: 'GUARD_BLOCKING',
  crossslot: 'GUARD_CROSSSLOT',
  script: 'GUARD_SCRIPT',
}

/**
 * What keeps a source-of-truth write from surviving: `aof` (appendonly off, or appendfsync no),
 * `eviction` (an allkeys-* maxmemory-policy), `min-replicas` (a master with replicas that
 * does not make writes wait for one: a failover can drop acknowledged writes).
 */
export type DurabilityGap = 'aof' | 'eviction' | 'min-replicas'

/** What the keyspace declaration says about one key, as far as the guard cares. */
export interface KeyPolicy {
  /** The keyspace entry's name, for messages. */
  readonly entry: string
  /** Declared without a TTL on purpose (configuration, reference data): exempt from the TTL rule. */
  readonly persistent: boolean
  /** The most items the collection can hold (a capped list, a hash of known fields); undefined: unbounded. */
  readonly maxItems: number | undefined
  /** `durability: 'source-of-truth'`: writes need AOF + fsync on every master; exempt from the TTL rule. */
  readonly sourceOfTruth: boolean
  /** The toolkit creates this key with a TTL and only ever updates it in place afterwards. */
  readonly keepsTtl?: boolean
  /** The declared type kind ('string', 'hash', 'list', ...); decides whether DEL can block. */
  readonly type?: string
}

/** The facts the guard needs from its caller (the client). Build it once; it is read on every check. */
export interface GuardContext {
  /** The widest range, COUNT or LIMIT a single call may ask for. Default 1000. */
  readonly maxRange?: number
  /** The keys of a command line, from the server's COMMAND table (so module commands work too). */
  keysOf(command: GuardCommand): readonly string[]
  /** The declaration that covers a key; undefined for an undeclared key (potentially large, needs a TTL). */
  declarationOf(key: string): KeyPolicy | undefined
  /**
   * Every master has `appendonly yes`, `appendfsync always|everysec`, no `allkeys-*` eviction
   * and, where it has replicas, `min-replicas-to-write ≥ 1`.
   */
  readonly durabilityOk: boolean
  /** When `durabilityOk` is false, which requirements are missing (for the message); all of them when unknown. */
  readonly durabilityGaps?: readonly DurabilityGap[]
  /** The Cluster hash slot of a key. Default: `keySlot` (CRC16 of the hash tag). */
  slotOf?(key: string): number
  /**
   * Whether a command the guard's own table does not know (a module command) writes, e.g. from
   * the `write` flag of COMMAND INFO. When it does, its keys are subject to the TTL and durability
   * rules as a write that may create them. Without it, unknown commands get the slot check only.
   */
  isWrite?(command: GuardCommand): boolean
}

/** One refusal: which rule, which command (name and keys only, never values), and what to do instead. */
export interface Violation {
  readonly rule: GuardRule
  readonly code: GuardCode
  /** The command name (and subcommand) followed by its keys; arguments that are values are never shown. */
  readonly command: string
  /** The key the rule is about, when there is one. */
  readonly key?: string
  /** Position of the offending command in a batch. */
  readonly index?: number
  /** The rule, as one sentence without a final period. */
  readonly message: string
  /** What to do instead. */
  readonly fix: string
  /** A drop-in replacement that satisfies the rule (DEL → UNLINK), which a client may send instead. */
  readonly rewrite?: GuardCommand
}

/** How a batch is judged: atomic batches must keep all keys in one slot. */
export interface GuardBatchOptions {
  /** MULTI/EXEC: every key of every command must share one slot. */
  readonly atomic?: boolean
}
