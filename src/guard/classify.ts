import { BITMAPS_AND_HLL } from './families/bitmaps-hll.js'
import { GENERIC } from './families/generic.js'
import { GEO } from './families/geo.js'
import { HASHES } from './families/hashes.js'
import { LISTS } from './families/lists.js'
import { PUBSUB } from './families/pubsub.js'
import { SCRIPTING } from './families/scripting.js'
import { SERVER } from './families/server.js'
import { SETS } from './families/sets.js'
import { SORTED_SETS } from './families/sorted-sets.js'
import { STREAMS } from './families/streams.js'
import { STRINGS } from './families/strings.js'
import { TRANSACTIONS } from './families/transactions.js'
import { type Entry, makeProfile, type Profile, type Row } from './profile.js'
import type { GuardCommand } from './types.js'

/**
 * What each Redis command means for the hard stops. `classify(argv, maxRange)` returns a frozen
 * `Profile` (profile.ts); for the common allowed commands (GET, SET .. PX, HGET, ...) it is a
 * constant, so the hot path allocates nothing. The policy (policy.ts) turns a profile plus
 * declarations into violations.
 *
 * The decision table lives with the commands, one file per family the way Redis keeps one t_*.c
 * per type (families/*.ts): each file opens with what the family's hard stops are about and keeps
 * the why of each row beside it. Notation there: N = items in the key; "the limit" = maxRange
 * (default 1000); "bounded" = the key's declaration has maxItems ≤ the limit (an undeclared key is
 * potentially large). What holds across families:
 *
 * | rule         | decision                                                                     |
 * |--------------|------------------------------------------------------------------------------|
 * | keys         | KEYS refused, whatever the pattern (generic)                                 |
 * | unbounded    | a read is judged by what it walks: whole-key reads refused unless bounded;   |
 * |              | ranges, COUNT, LIMIT and counts within the limit; SCAN COUNT is work per call|
 * | ttl-required | a write that leaves its key without a TTL ('clears', 'persists') or may      |
 * |              | create it without one ('creates', 'inherits') needs a TTL later in the same  |
 * |              | batch, or a declaration exempting the key (persistent, source-of-truth,      |
 * |              | keepsTtl); a TTL argument Redis would refuse, or beyond 10 years, is refused |
 * | blocking     | DEL of a collection (rewritten to UNLINK), FLUSHALL/FLUSHDB without ASYNC,   |
 * |              | DEBUG MONITOR SAVE SHUTDOWN CLIENT PAUSE PFDEBUG PFSELFTEST                  |
 * | crossslot    | a command's keys, and a MULTI's, share a slot                                |
 * | durability   | a write (or a script that may write) to a source-of-truth key needs AOF      |
 * | (unknown)    | a command in no family (a module's): keys from the context (COMMAND), slot   |
 * |              | rule; TTL and durability as "may create" when context.isWrite says it writes |
 */

/** The families, each with its rows of the decision table. A command name belongs to one family. */
const FAMILIES: readonly (readonly Row[])[] = [
  STRINGS,
  BITMAPS_AND_HLL,
  HASHES,
  LISTS,
  SETS,
  SORTED_SETS,
  STREAMS,
  GEO,
  GENERIC,
  SCRIPTING,
  TRANSACTIONS,
  PUBSUB,
  SERVER,
]

const TABLE = new Map<string, Entry>()

for (const rows of FAMILIES) {
  for (const { names, build } of rows) {
    for (const name of names.trim().split(/\s+/)) {
      if (TABLE.has(name)) throw new Error(`guard: ${name} has two rows in the command table`)
      const entry = build(name)
      // Both spellings, so the lookup does not upper-case (allocate) for the common styles.
      TABLE.set(name, entry)
      TABLE.set(name.toLowerCase(), entry)
    }
  }
}

/** The commands the table knows, upper case (for coverage tests and reports). */
export function knownCommands(): string[] {
  return [...TABLE.keys()].filter((name) => name === name.toUpperCase() && /[A-Z]/.test(name)).sort()
}

const unknownProfiles = new Map<string, Profile>()

/** A command the table does not know (a module command): keys from the context, slot rule only. */
function unknownProfile(name: string): Profile {
  const upper = name.toUpperCase()
  let profile = unknownProfiles.get(upper)
  if (!profile) {
    profile = makeProfile(upper, { keys: 'context', multiKey: true, unknown: true })
    // Bounded, so a stream of made-up names cannot grow it without limit.
    if (unknownProfiles.size < 1024) unknownProfiles.set(upper, profile)
  }
  return profile
}

/**
 * The profile of a (validated) command line. `maxRange` lets bounded reads return their constant
 * profile without allocating.
 */
export function classify(argv: GuardCommand, maxRange: number): Profile {
  const name = argv[0] as string
  const entry = TABLE.get(name) ?? TABLE.get(name.toUpperCase())
  if (entry === undefined) return unknownProfile(name)
  return typeof entry === 'function' ? entry(argv, maxRange) : entry
}
