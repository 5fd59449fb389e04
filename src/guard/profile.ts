import type { GuardCommand } from './types.js'

/**
 * What a command means for the hard stops, as data: a frozen `Profile` per command line, built from
 * the rows of the families (families/*.ts) and judged by the policy (policy.ts). This file holds
 * the vocabulary of a profile and the helpers every family builds its rows with.
 */

/** Where a write lands: an argv index, every key of the command, or every key but the first. */
export type KeySel = number | 'all' | 'rest'

/** What a write does to the TTL of the key it lands on. */
export type TtlEffect =
  /** writes the value together with a TTL (SET .. PX, SETEX, RESTORE with a TTL) */
  | 'with-ttl'
  /** gives an existing key a TTL; a no-op on a missing key (EXPIRE, GETEX EX) */
  | 'expires'
  /** keeps an existing key's TTL, but creates a missing key without one (HSET, INCR, SADD) */
  | 'creates'
  /** leaves the key without a TTL whatever it had (SET plain, MSET, *STORE destinations) */
  | 'clears'
  /** removes the TTL of an existing key; a no-op on a missing key (PERSIST) */
  | 'persists'
  /** changes an existing key only; its TTL stays (HDEL, LPUSHX, SET XX KEEPTTL) */
  | 'keeps'
  /** removes the key (DEL, UNLINK, GETDEL, EXPIRE 0) */
  | 'deletes'
  /** the key takes the value and TTL of the key at `from` (RENAME, COPY destinations) */
  | 'inherits'

/** How a command writes one of its keys and what happens to that key's TTL. */
export interface KeyWrite {
  readonly key: KeySel
  readonly ttl: TtlEffect
  /** For 'inherits': the argv index of the source key. */
  readonly from?: number
}

/** How a read's size is judged. */
export interface ReadRule {
  /** The keys whose declarations can bound the read; 'none' for SCAN (the keyspace). */
  readonly keys: KeySel | 'none'
  /** Several keys: each key alone, the sum of their bounds (union), or the smallest (intersection). */
  readonly combine: 'each' | 'sum' | 'min'
  /** False when the reply has the asked-for size whatever the key holds (negative RANDMEMBER counts). */
  readonly declarationBounds: boolean
  /** What the call does when it is not bounded, e.g. 'reads every member of the set'. */
  readonly what: string
  readonly fix: string
}

/** Why a command is refused whatever its keys (KEYS, FLUSHALL without ASYNC…), with the fix. */
export interface Refusal {
  readonly rule: 'keys' | 'blocking'
  readonly message: string
  readonly fix: string
}

/** Where the command's keys are: none, one argv index, or ask the context (COMMAND table). */
export type KeyLocation = 'none' | number | 'context'

/**
 * What the guard knows about a command: its keys, what it reads and writes, whether it may leave a key
 * without TTL, and whether it is refused outright.
 */
export interface Profile {
  /** Upper-case name, with the subcommand for containers ('CLIENT PAUSE'); for messages. */
  readonly name: string
  readonly keys: KeyLocation
  /** May address several keys, so the slot rule applies. */
  readonly multiKey: boolean
  readonly refusal: Refusal | undefined
  readonly read: ReadRule | undefined
  /** Items the call asks for when that is more than maxRange (Infinity: the whole key); 0 when bounded. */
  readonly items: number
  readonly writes: readonly KeyWrite[]
  /** DEL: freeing a large collection blocks; the policy checks each key's declaration. */
  readonly frees: boolean
  /** A script that may write any of its keys (durability only). */
  readonly mayWrite: boolean
  /** Not in the table: keys and read/write come from the context. */
  readonly unknown: boolean
  /** Some write may leave a key without a TTL. */
  readonly ttlRisk: boolean
  /** Nothing to check beyond durability of `writes`: the hot path returns at once. */
  readonly quiet: boolean
  /**
   * A TTL argument Redis would refuse or that is absurd (not an integer, ≤ 0 where a TTL must be
   * positive, beyond MAX_TTL_MS): why. Such a command gives no TTL (Redis rejects it), so in a
   * batch the key it was meant for is left without one.
   */
  readonly badTtl?: string
}

export interface Spec {
  readonly keys?: KeyLocation
  readonly multiKey?: boolean
  readonly refusal?: Refusal
  readonly read?: ReadRule
  readonly items?: number
  readonly writes?: readonly KeyWrite[]
  readonly frees?: boolean
  readonly mayWrite?: boolean
  readonly unknown?: boolean
}

const NO_WRITES: readonly KeyWrite[] = Object.freeze([])
const RISKY: ReadonlySet<TtlEffect> = new Set(['creates', 'clears', 'persists', 'inherits'])

export function makeProfile(name: string, spec: Spec = {}): Profile {
  const writes = spec.writes ? Object.freeze(spec.writes.map((w) => Object.freeze({ ...w }))) : NO_WRITES
  const ttlRisk = writes.some((w) => RISKY.has(w.ttl))
  const multiKey = spec.multiKey ?? false
  const items = spec.items ?? 0
  const frees = spec.frees ?? false
  const mayWrite = spec.mayWrite ?? false
  const unknown = spec.unknown ?? false
  const quiet = !spec.refusal && items === 0 && !frees && !ttlRisk && !multiKey && !mayWrite && !unknown
  return Object.freeze({
    name,
    keys: spec.keys ?? 'none',
    multiKey,
    refusal: spec.refusal,
    read: spec.read,
    items,
    writes,
    frees,
    mayWrite,
    unknown,
    ttlRisk,
    quiet,
  })
}

/** The profile with a read of `items`, or the profile itself when `items` is within the maximum. */
export function reading(base: Profile, items: number, maxRange: number): Profile {
  if (!(items > maxRange)) return base
  return Object.freeze({ ...base, items, quiet: false })
}

export type Classifier = (argv: GuardCommand, maxRange: number) => Profile
export type Entry = Profile | Classifier

/** One row of the decision table: the command names it covers and how each one's entry is built. */
export interface Row {
  readonly names: string
  readonly build: (name: string) => Entry
}

/**
 * A row for one or several commands (names separated by whitespace). `build` runs once per name:
 * a constant `Profile`, or a `Classifier` that reads the arguments (and returns constant profiles
 * where it can, so the hot path allocates nothing).
 */
export function def(names: string, build: (name: string) => Entry): Row {
  return { names, build }
}

/** A write of one key selection with its TTL effect (`from`: the source of an 'inherits'). */
export const w = (key: KeySel, ttl: TtlEffect, from?: number): KeyWrite =>
  from === undefined ? { key, ttl } : { key, ttl, from }

/** What a command the table does not know is taken to write when the context says it writes. */
export const UNKNOWN_WRITES: readonly KeyWrite[] = Object.freeze([
  Object.freeze({ key: 'all', ttl: 'creates' }),
])

/**
 * Profiles of refused TTL arguments, by name and reason: the same few recur (a script's TTL held
 * in a local variable is '<not a literal>' on every call), and a profile is frozen data. Bounded,
 * since a reason may quote the argument.
 */
const refusedTtls = new Map<string, Profile>()

/** The profile of a command whose TTL argument is refused: it gives no TTL (Redis rejects it). */
export function refusedTtl(name: string, why: string): Profile {
  const id = `${name}\n${why}`
  let profile = refusedTtls.get(id)
  if (profile === undefined) {
    profile = Object.freeze({
      ...makeProfile(name, { keys: 1, writes: [w(1, 'keeps')] }),
      quiet: false,
      badTtl: why,
    })
    if (refusedTtls.size >= 256) refusedTtls.clear()
    refusedTtls.set(id, profile)
  }
  return profile
}
