import { MAX_TTL_MS } from '../common/ttl.js'
import { int, text, token } from './args.js'
import type { GuardCommand } from './types.js'

/**
 * What each Redis command means for the hard stops. `classify(argv, maxRange)` returns a frozen
 * `Profile`; for the common allowed commands (GET, SET .. PX, HGET, ...) it is a constant, so the
 * hot path allocates nothing. The policy (policy.ts) turns a profile plus declarations into violations.
 *
 * Decisions. N = items in the key; "max" = maxRange (default 1000); "bounded" = the key's
 * declaration has maxItems ≤ max (an undeclared key is potentially large).
 *
 * | command(s)                             | rule         | decision, and why                               |
 * |----------------------------------------|--------------|-------------------------------------------------|
 * | KEYS (any pattern, even an exact key)  | keys         | refused: walks the keyspace in one call         |
 * | SMEMBERS HGETALL HKEYS HVALS DUMP      | unbounded    | whole key: refused unless bounded               |
 * | LRANGE, ZRANGE/ZREVRANGE by index      | unbounded    | the window's width; a window spanning both      |
 * |                                        |              | signs (0 -1, 5 -3) depends on N, so whole key;  |
 * |                                        |              | one-sign windows (0 999, -1000 -1) are exact    |
 * | ZRANGE BYSCORE/BYLEX,                  | unbounded    | LIMIT count ≤ max, else whole key (negative     |
 * |   Z[REV]RANGEBY{SCORE,LEX}             |              | count = all). The offset is free: Redis 7 skips |
 * |                                        |              | it by rank in O(log N)                          |
 * | ZRANGESTORE                            | unbounded    | as ZRANGE on the source; destination: clears    |
 * | XRANGE XREVRANGE XREAD XREADGROUP      | unbounded    | COUNT ≤ max (per stream), else whole stream;    |
 * |                                        |              | XREADGROUP '>' can be a whole backlog           |
 * | SORT SORT_RO                           | unbounded    | whole key unless bounded, LIMIT or not: SORT is |
 * |                                        |              | O(N + M log M), LIMIT bounds the reply only     |
 * |                                        |              | (stricter than "SORT without LIMIT")            |
 * | SINTER SINTERCARD ZINTER ZINTERCARD    | unbounded    | O(N·K), N the smallest input: allowed when the  |
 * |   (and *STORE)                         |              | smallest bound ≤ max; SINTERCARD's LIMIT does   |
 * |                                        |              | not bound the walk                              |
 * | SUNION SDIFF ZUNION ZDIFF (and *STORE) | unbounded    | O(total): allowed when the bounds sum to ≤ max  |
 * | SCAN HSCAN SSCAN ZSCAN                 | unbounded    | COUNT is work per call: > max refused (H/S/Z:   |
 * |                                        |              | unless bounded); the default 10 is fine         |
 * | SRANDMEMBER HRANDFIELD ZRANDMEMBER n   | unbounded    | n ≤ max or bounded; a negative n returns -n     |
 * |                                        |              | items whatever N is: the declaration can't help |
 * | SPOP LPOP RPOP ZPOPMIN ZPOPMAX n,      | unbounded    | count ≤ max, or bounded                         |
 * |   LMPOP ZMPOP BLMPOP BZMPOP COUNT n    |              |                                                 |
 * | LPOS                                   | unbounded    | scans the list: MAXLEN ≤ max, or bounded        |
 * | LINDEX i                               | unbounded    | O(distance from its end): abs(i) ≤ max, or      |
 * |                                        |              | bounded                                         |
 * | GEORADIUS* GEOSEARCH*                  | unbounded    | COUNT ≤ max, or bounded (the work is the        |
 * |                                        |              | matches in the area, which the radius bounds)   |
 * | XINFO STREAM FULL COUNT 0, XPENDING n, | unbounded    | same count rule (XINFO FULL defaults to 10,     |
 * |   XAUTOCLAIM COUNT, MEMORY USAGE       |              | XAUTOCLAIM to 100; MEMORY USAGE SAMPLES 0 walks |
 * |   SAMPLES 0                            |              | every element)                                  |
 * | LREM LINSERT LSET LTRIM ZREMRANGEBY*   | —            | allowed: O(N) maintenance writes; the data      |
 * |                                        |              | model owns them                                 |
 * | MGET MSET DEL EXISTS ... (many keys)   | crossslot    | cost is the caller's own argument list          |
 * | LCS BITCOUNT BITPOS                    | —            | allowed: strings, bounded by the value size     |
 * | SET EX/PX/EXAT/PXAT, SETEX, PSETEX,    | ttl          | write with a TTL                                |
 * |   RESTORE ttl > 0                      |              |                                                 |
 * | SET, SET XX, GETSET, MSET, RESTORE 0,  | ttl-required | leave the key without a TTL                     |
 * |   *STORE and BITOP destinations        |              |                                                 |
 * | SET KEEPTTL (no XX), SET NX, SETNX,    | ttl-required | may create the key without a TTL: KEEPTTL keeps |
 * |   MSETNX                               |              | only an existing TTL (stricter than the issue's |
 * |                                        |              | list); SET XX KEEPTTL is allowed                |
 * | HSET SADD ZADD LPUSH RPUSH INCR* DECR* | ttl-required | keep an existing TTL but create a missing key   |
 * |   APPEND SETRANGE SETBIT XADD PFADD    |              | without one: allowed when the same batch gives  |
 * |   PFMERGE GEOADD HINCRBY* ZINCRBY,     |              | the key a TTL afterwards (or a write with a TTL |
 * |   BITFIELD SET/INCRBY, LMOVE/SMOVE     |              | created it earlier in the batch), or the key is |
 * |   destinations, XGROUP CREATE MKSTREAM |              | persistent, source-of-truth or keepsTtl         |
 * | ZADD XX, GEOADD XX, XADD NOMKSTREAM,   | —            | change an existing key only: its TTL stays      |
 * |   LPUSHX RPUSHX HDEL SREM ZREM LREM    |              |                                                 |
 * |   ... HEXPIRE & co (field TTLs)        |              |                                                 |
 * | EXPIRE PEXPIRE EXPIREAT PEXPIREAT with | ttl          | give an existing key a TTL (no-op on a missing  |
 * |   NX, LT or no flag; GETEX EX/PX/..    |              | key). XX and GT do nothing to a key without a   |
 * |                                        |              | TTL, so they give none; a TTL ≤ 0 deletes       |
 * | PERSIST, GETEX PERSIST                 | ttl-required | remove the TTL                                  |
 * | RENAME RENAMENX COPY                   | ttl-required | the destination takes the source's TTL: fine    |
 * |                                        |              | from a key that needs one; from a key declared  |
 * |                                        |              | persistent/source-of-truth (or left without one |
 * |                                        |              | earlier in the batch) onto a key whose entry    |
 * |                                        |              | has a TTL, a PEXPIRE must follow in the batch   |
 * | DEL UNLINK GETDEL MOVE MIGRATE         | —            | deleting is fine for the TTL rule; MOVE keeps   |
 * |                                        |              | the key's name, so its declaration is its own   |
 * | any TTL argument: EXPIRE PEXPIRE       | ttl-required | a whole number; ≥ 1 where Redis needs a         |
 * |   EXPIREAT PEXPIREAT, SET EX/PX/EXAT/  |              | positive TTL (EXPIRE ≤ 0 and a past *AT delete: |
 * |   PXAT, SETEX PSETEX, GETEX, RESTORE   |              | allowed); at most MAX_TTL_MS (10 years), the    |
 * |                                        |              | *AT forms measured from this process's clock.   |
 * |                                        |              | Redis refuses 'abc' or 1.5: in a batch that     |
 * |                                        |              | would leave the key without its TTL             |
 * | DEL                                    | blocking     | refused, with UNLINK as a drop-in rewrite (same |
 * |                                        |              | reply), unless every key is declared a value    |
 * |                                        |              | kind (string, counter, json, hll, bitmap) or    |
 * |                                        |              | bounded: DEL frees on the main thread           |
 * | FLUSHALL FLUSHDB                       | blocking     | refused unless ASYNC                            |
 * | DEBUG MONITOR SAVE SHUTDOWN CLIENT     | blocking     | refused: each stalls or stops the server or     |
 * |   PAUSE PFDEBUG PFSELFTEST             |              | every client                                    |
 * | BGSAVE BGREWRITEAOF CONFIG ACL CLUSTER | —            | allowed: background or O(1) admin work          |
 * |   FAILOVER SWAPDB SCRIPT FUNCTION ...  |              |                                                 |
 * | EVAL EVALSHA FCALL                     | crossslot,   | keys share a slot; the script may write, so     |
 * |                                        | durability   | source-of-truth keys need durability. TTLs are  |
 * |                                        |              | the script's job                                |
 * | EVAL_RO EVALSHA_RO FCALL_RO WATCH      | crossslot    | keys share a slot                               |
 * |   SSUBSCRIBE SUNSUBSCRIBE              |              |                                                 |
 * | any command not in this table          | crossslot    | keys from the context (COMMAND); TTL and        |
 * |   (modules)                            | (+ttl, dur.) | durability as "may create" when context.isWrite |
 * |                                        |              | says it writes                                  |
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

export interface Refusal {
  readonly rule: 'keys' | 'blocking'
  readonly message: string
  readonly fix: string
}

/** Where the command's keys are: none, one argv index, or ask the context (COMMAND table). */
export type KeyLocation = 'none' | number | 'context'

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

interface Spec {
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
function reading(base: Profile, items: number, maxRange: number): Profile {
  if (!(items > maxRange)) return base
  return Object.freeze({ ...base, items, quiet: false })
}

type Classifier = (argv: GuardCommand, maxRange: number) => Profile
type Entry = Profile | Classifier

// ---------------------------------------------------------------------------------------------
// Read rules (the sentences of GUARD_UNBOUNDED refusals)

function rule(what: string, fix: string, keys: KeySel | 'none' = 1, extra: Partial<ReadRule> = {}): ReadRule {
  return Object.freeze({ keys, combine: 'each', declarationBounds: true, what, fix, ...extra })
}

const SCAN_FIX = (cmd: string) => `iterate with ${cmd} and COUNT ≤ the limit, or declare maxItems on the key`
const R = {
  smembers: rule('reads every member of the set', SCAN_FIX('SSCAN (db.sscan)')),
  hgetall: rule('reads every field of the hash', SCAN_FIX('HSCAN (db.hscan)')),
  dump: rule('serializes the whole key', 'declare maxItems on the key, or copy it with SCAN-based reads'),
  window: rule(
    'reads a range whose width depends on the size of the key',
    'read a window of one sign, e.g. 0 999 or -1000 -1, within the limit',
  ),
  byScore: rule(
    'reads every member in the score/lex range (no LIMIT)',
    'add LIMIT offset count with count ≤ the limit',
  ),
  stream: rule('reads every entry in the range (no COUNT)', 'add COUNT ≤ the limit and page by the last ID'),
  xread: rule('reads every new entry of the streams (no COUNT)', 'add COUNT ≤ the limit', 'all'),
  sort: rule(
    'sorts the whole collection (SORT is O(N + M log M); LIMIT bounds the reply, not the work)',
    'keep the data in a sorted set and read a window, or declare maxItems on the key',
  ),
  inter: rule(
    'intersects whole sets (O(N·K), N the smallest)',
    'declare maxItems on at least one source key, or intersect incrementally with SSCAN + SMISMEMBER',
    'all',
    { combine: 'min' },
  ),
  union: rule(
    'combines whole sets (O(total size))',
    'declare maxItems on the source keys, or merge incrementally with SSCAN',
    'all',
    { combine: 'sum' },
  ),
  scan: rule('does COUNT units of work in one call', 'use COUNT ≤ the limit (db.scan pages for you)', 'none'),
  keyScan: rule('does COUNT units of work in one call', 'use COUNT ≤ the limit'),
  random: rule('returns count random items', 'ask for a count ≤ the limit, or declare maxItems on the key'),
  randomRepeat: rule(
    'returns |count| items whatever the key holds (negative count)',
    'ask for a count ≤ the limit',
    1,
    { declarationBounds: false },
  ),
  pop: rule(
    'pops count items in one call',
    'pop a count ≤ the limit per call, or declare maxItems on the key',
  ),
  mpop: rule(
    'pops count items in one call',
    'pop a count ≤ the limit per call, or declare maxItems on the keys',
    'all',
  ),
  lpos: rule('scans the whole list (no MAXLEN)', 'add MAXLEN ≤ the limit, or declare maxItems on the key'),
  lindex: rule(
    'walks the list to a far index',
    'keep the index within the limit from either end, or declare maxItems on the key',
  ),
  geo: rule(
    'returns every member in the area (no COUNT)',
    'add COUNT ≤ the limit (and ANY to stop early), or declare maxItems on the key',
  ),
  xinfo: rule(
    'reads every entry and PEL of the stream (FULL COUNT 0)',
    'use XINFO STREAM key FULL COUNT n with n ≤ the limit',
    2,
  ),
  xpending: rule('lists count pending entries in one call', 'page XPENDING with count ≤ the limit'),
  xautoclaim: rule('claims COUNT entries in one call', 'use COUNT ≤ the limit (the default is 100)'),
  memory: rule(
    'walks every element (SAMPLES 0)',
    'use the default SAMPLES 5, or declare maxItems on the key',
    2,
  ),
} as const

// ---------------------------------------------------------------------------------------------
// Refusals that do not depend on declarations

const REFUSE = {
  keys: Object.freeze({
    rule: 'keys',
    message: 'KEYS walks the whole keyspace in one call and blocks the server meanwhile',
    fix: 'use db.scan({ match, count }), an iterator over SCAN on every master',
  }),
  flush: (name: string): Refusal =>
    Object.freeze({
      rule: 'blocking',
      message: `${name} without ASYNC frees every key on the main thread, blocking every client`,
      fix: `use ${name} ASYNC`,
    }),
  debug: Object.freeze({
    rule: 'blocking',
    message: 'DEBUG can block, crash or reload the server',
    fix: 'run it from redis-cli in a maintenance window, not from application code',
  }),
  pfdebug: Object.freeze({
    rule: 'blocking',
    message: 'PFDEBUG and PFSELFTEST are internal testing commands that can run for long on the main thread',
    fix: 'use PFCOUNT/PFADD/PFMERGE',
  }),
  monitor: Object.freeze({
    rule: 'blocking',
    message: 'MONITOR streams every command the server runs and can halve its throughput',
    fix: 'use SLOWLOG GET, LATENCY DOCTOR or INFO commandstats; run MONITOR only briefly from redis-cli',
  }),
  save: Object.freeze({
    rule: 'blocking',
    message: 'SAVE writes the RDB snapshot on the main thread, blocking every client until it is done',
    fix: 'use BGSAVE',
  }),
  shutdown: Object.freeze({
    rule: 'blocking',
    message: 'SHUTDOWN stops the server for every client',
    fix: 'stop the server from its process manager or redis-cli',
  }),
  pause: Object.freeze({
    rule: 'blocking',
    message: 'CLIENT PAUSE stalls every client of the server',
    fix: 'use FAILOVER for a planned switchover, or run it from redis-cli',
  }),
} as const satisfies Record<string, Refusal | ((name: string) => Refusal)>

// ---------------------------------------------------------------------------------------------
// Argument parsing

/**
 * Items in the index window [start, stop] of a key of unknown size N: exact when both ends have
 * the same sign; when start ≥ 0 > stop it depends on N (Infinity); when start < 0 ≤ stop it is at
 * most min(stop + 1, -start). 0 for arguments that are not integers (the server rejects them).
 */
export function windowItems(start: number | undefined, stop: number | undefined): number {
  if (start === undefined || stop === undefined) return 0
  if (start >= 0 === stop >= 0) return Math.max(0, stop - start + 1)
  if (start >= 0) return Number.POSITIVE_INFINITY
  return Math.min(stop + 1, -start)
}

/** A LIMIT/COUNT count: a negative count means "all" in LIMIT. */
function countItems(count: number | undefined, negativeIsAll: boolean): number {
  if (count === undefined) return 0
  if (count < 0) return negativeIsAll ? Number.POSITIVE_INFINITY : -count
  return count
}

/** The integer after the first `word` at or after `from`, or undefined. */
function optionValue(argv: GuardCommand, from: number, word: string): number | undefined {
  for (let i = from; i < argv.length - 1; i++) if (token(argv[i]) === word) return int(argv[i + 1])
  return undefined
}

function has(argv: GuardCommand, from: number, word: string): boolean {
  for (let i = from; i < argv.length; i++) if (token(argv[i]) === word) return true
  return false
}

// ---------------------------------------------------------------------------------------------
// The table

const TABLE = new Map<string, Entry>()

function def(names: string, build: (name: string) => Entry): void {
  for (const name of names.trim().split(/\s+/)) {
    const entry = build(name)
    // Both spellings, so the lookup does not upper-case (allocate) for the common styles.
    TABLE.set(name, entry)
    TABLE.set(name.toLowerCase(), entry)
  }
}

const w = (key: KeySel, ttl: TtlEffect, from?: number): KeyWrite =>
  from === undefined ? { key, ttl } : { key, ttl, from }

// -- keyless and admin: nothing to check
def(
  `ACL ASKING AUTH BGREWRITEAOF BGSAVE CLUSTER COMMAND CONFIG DBSIZE DISCARD ECHO EXEC FAILOVER
   FUNCTION HELLO INFO LASTSAVE LATENCY LOLWUT MODULE MULTI PING PSUBSCRIBE PSYNC PUBLISH PUBSUB
   PUNSUBSCRIBE QUIT RANDOMKEY READONLY READWRITE REPLCONF REPLICAOF RESET ROLE SCRIPT SELECT SLAVEOF
   SLOWLOG SUBSCRIBE SWAPDB SYNC TIME UNSUBSCRIBE UNWATCH WAIT WAITAOF`,
  (name) => makeProfile(name),
)

// -- single-key reads that are O(1), O(log N) or bounded by the arguments
def(
  `BITCOUNT BITFIELD_RO BITPOS EXPIRETIME GEODIST GEOHASH GEOPOS GET GETBIT GETRANGE HEXISTS
   HEXPIRETIME HGET HLEN HMGET HPEXPIRETIME HPTTL HSTRLEN HTTL LLEN PEXPIRETIME PTTL SCARD SISMEMBER
   SMISMEMBER SPUBLISH STRLEN SUBSTR TTL TYPE XLEN ZCARD ZCOUNT ZLEXCOUNT ZMSCORE ZRANK ZREVRANK ZSCORE`,
  (name) => makeProfile(name, { keys: 1 }),
)

// -- multi-key reads whose cost is the caller's own argument list: slot rule only
def('EXISTS LCS MGET PFCOUNT TOUCH WATCH SSUBSCRIBE SUNSUBSCRIBE EVAL_RO EVALSHA_RO FCALL_RO', (name) =>
  makeProfile(name, { keys: 'context', multiKey: true }),
)
def('EVAL EVALSHA FCALL', (name) => makeProfile(name, { keys: 'context', multiKey: true, mayWrite: true }))

// -- writes that may create the key without a TTL
def(
  `APPEND DECR DECRBY INCR INCRBY INCRBYFLOAT SETRANGE SETBIT SETNX HINCRBY HINCRBYFLOAT HMSET HSET
   HSETNX LPUSH RPUSH SADD ZINCRBY PFADD`,
  (name) => makeProfile(name, { keys: 1, writes: [w(1, 'creates')] }),
)

// -- writes to an existing key only: its TTL stays
def(
  `HDEL HEXPIRE HEXPIREAT HPEXPIRE HPEXPIREAT HPERSIST HGETDEL HGETEX LINSERT LPUSHX LREM LSET LTRIM
   RPUSHX SREM ZREM ZREMRANGEBYLEX ZREMRANGEBYRANK ZREMRANGEBYSCORE XACK XCLAIM XDEL XSETID XTRIM`,
  (name) => makeProfile(name, { keys: 1, writes: [w(1, 'keeps')] }),
)
def('BLPOP BRPOP BZPOPMIN BZPOPMAX', (name) =>
  makeProfile(name, { keys: 'context', multiKey: true, writes: [w('all', 'keeps')] }),
)

def('GETDEL MOVE', (name) => makeProfile(name, { keys: 1, writes: [w(1, 'deletes')] }))
def('UNLINK', (name) => makeProfile(name, { keys: 'context', multiKey: true, writes: [w('all', 'deletes')] }))
def('DEL', (name) =>
  makeProfile(name, { keys: 'context', multiKey: true, writes: [w('all', 'deletes')], frees: true }),
)
def('GETSET', (name) => makeProfile(name, { keys: 1, writes: [w(1, 'clears')] }))
def('PERSIST', (name) => makeProfile(name, { keys: 1, writes: [w(1, 'persists')] }))
def('SETEX PSETEX', (name) => {
  const withTtl = makeProfile(name, { keys: 1, writes: [w(1, 'with-ttl')] })
  const unit = name === 'SETEX' ? 1000 : 1
  return (argv) => {
    const bad = badTtl(argv[2], unit, 'positive')
    return bad === undefined ? withTtl : refusedTtl(name, bad)
  }
})
def('MSET', (name) => makeProfile(name, { keys: 'context', multiKey: true, writes: [w('all', 'clears')] }))
def('MSETNX', (name) => makeProfile(name, { keys: 'context', multiKey: true, writes: [w('all', 'creates')] }))
def('PFMERGE', (name) => makeProfile(name, { keys: 'context', multiKey: true, writes: [w(1, 'creates')] }))
def('BITOP', (name) => makeProfile(name, { keys: 'context', multiKey: true, writes: [w(2, 'clears')] }))
def('RENAME RENAMENX', (name) =>
  makeProfile(name, { keys: 'context', multiKey: true, writes: [w(2, 'inherits', 1), w(1, 'deletes')] }),
)
def('COPY', (name) => makeProfile(name, { keys: 'context', multiKey: true, writes: [w(2, 'inherits', 1)] }))

// -- unconditional refusals
def('KEYS', (name) => makeProfile(name, { refusal: REFUSE.keys }))
def('DEBUG', (name) => makeProfile(name, { refusal: REFUSE.debug }))
def('PFSELFTEST', (name) => makeProfile(name, { refusal: REFUSE.pfdebug }))
def('PFDEBUG', (name) => makeProfile(name, { keys: 2, refusal: REFUSE.pfdebug }))
def('MONITOR', (name) => makeProfile(name, { refusal: REFUSE.monitor }))
def('SAVE', (name) => makeProfile(name, { refusal: REFUSE.save }))
def('SHUTDOWN', (name) => makeProfile(name, { refusal: REFUSE.shutdown }))

// -- whole-key reads
def('SMEMBERS', (name) => makeProfile(name, { keys: 1, read: R.smembers, items: Number.POSITIVE_INFINITY }))
def('HGETALL HKEYS HVALS', (name) =>
  makeProfile(name, { keys: 1, read: R.hgetall, items: Number.POSITIVE_INFINITY }),
)
def('DUMP', (name) => makeProfile(name, { keys: 1, read: R.dump, items: Number.POSITIVE_INFINITY }))
def('SORT_RO', (name) => makeProfile(name, { keys: 1, read: R.sort, items: Number.POSITIVE_INFINITY }))
def('SORT', (name) => {
  const plain = makeProfile(name, { keys: 1, read: R.sort, items: Number.POSITIVE_INFINITY })
  return (argv) => {
    // SORT key [BY p] [LIMIT o c] [GET p ...] [ASC|DESC] [ALPHA] [STORE dst]
    for (let i = 2; i < argv.length - 1; i++) {
      const t = token(argv[i])
      if (t === 'STORE') {
        return makeProfile(name, {
          keys: 'context',
          multiKey: true,
          read: R.sort,
          items: Number.POSITIVE_INFINITY,
          writes: [w(i + 1, 'clears')],
        })
      }
      if (t === 'BY' || t === 'GET') i++
      else if (t === 'LIMIT') i += 2
    }
    return plain
  }
})

// -- set algebra: read the sources, overwrite the destination of *STORE
def('SINTER SINTERCARD ZINTER ZINTERCARD', (name) =>
  makeProfile(name, { keys: 'context', multiKey: true, read: R.inter, items: Number.POSITIVE_INFINITY }),
)
def('SUNION SDIFF ZUNION ZDIFF', (name) =>
  makeProfile(name, { keys: 'context', multiKey: true, read: R.union, items: Number.POSITIVE_INFINITY }),
)
def('SINTERSTORE ZINTERSTORE', (name) =>
  makeProfile(name, {
    keys: 'context',
    multiKey: true,
    read: { ...R.inter, keys: 'rest' },
    items: Number.POSITIVE_INFINITY,
    writes: [w(1, 'clears')],
  }),
)
def('SUNIONSTORE SDIFFSTORE ZUNIONSTORE ZDIFFSTORE', (name) =>
  makeProfile(name, {
    keys: 'context',
    multiKey: true,
    read: { ...R.union, keys: 'rest' },
    items: Number.POSITIVE_INFINITY,
    writes: [w(1, 'clears')],
  }),
)

// -- index windows
def('LRANGE ZREVRANGE', (name) => {
  const base = makeProfile(name, { keys: 1, read: R.window })
  return (argv, max) => reading(base, windowItems(int(argv[2]), int(argv[3])), max)
})
def('ZRANGE', (name) => {
  const byIndex = makeProfile(name, { keys: 1, read: R.window })
  const byScore = makeProfile(name, { keys: 1, read: R.byScore })
  return (argv, max) =>
    isByScore(argv, 4)
      ? reading(byScore, limitItems(argv, 4), max)
      : reading(byIndex, windowItems(int(argv[2]), int(argv[3])), max)
})
def('ZRANGESTORE', (name) => {
  const opts = { keys: 'context', multiKey: true, writes: [w(1, 'clears')] } as const
  const byIndex = makeProfile(name, { ...opts, read: { ...R.window, keys: 2 } })
  const byScore = makeProfile(name, { ...opts, read: { ...R.byScore, keys: 2 } })
  return (argv, max) =>
    isByScore(argv, 5)
      ? reading(byScore, limitItems(argv, 5), max)
      : reading(byIndex, windowItems(int(argv[3]), int(argv[4])), max)
})
def('ZRANGEBYSCORE ZREVRANGEBYSCORE ZRANGEBYLEX ZREVRANGEBYLEX', (name) => {
  const base = makeProfile(name, { keys: 1, read: R.byScore })
  return (argv, max) => reading(base, limitItems(argv, 4), max)
})

/** ZRANGE's BYSCORE/BYLEX: a score range, bounded only by LIMIT (an index range is bounded by its window). */
function isByScore(argv: GuardCommand, from: number): boolean {
  for (let i = from; i < argv.length; i++) {
    const t = token(argv[i])
    if (t === 'BYSCORE' || t === 'BYLEX') return true
    if (t === 'LIMIT') i += 2
  }
  return false
}

function limitItems(argv: GuardCommand, from: number): number {
  for (let i = from; i < argv.length; i++) {
    if (token(argv[i]) === 'LIMIT') return countItems(int(argv[i + 2]), true)
  }
  return Number.POSITIVE_INFINITY
}

// -- streams
def('XRANGE XREVRANGE', (name) => {
  const base = makeProfile(name, { keys: 1, read: R.stream })
  return (argv, max) => {
    const count = optionValue(argv, 4, 'COUNT')
    return reading(base, count === undefined ? Number.POSITIVE_INFINITY : countItems(count, true), max)
  }
})
def('XREAD XREADGROUP', (name) => {
  const group = name === 'XREADGROUP'
  const base = makeProfile(name, {
    keys: 'context',
    multiKey: true,
    read: R.xread,
    writes: group ? [w('all', 'keeps')] : [],
  })
  return (argv, max) => {
    // XREAD [COUNT n] [BLOCK ms] STREAMS ...; XREADGROUP GROUP g c [COUNT n] [BLOCK ms] [NOACK] STREAMS ...
    let count: number | undefined
    for (let i = group ? 4 : 1; i < argv.length; i++) {
      const t = token(argv[i])
      if (t === 'STREAMS') break
      if (t === 'COUNT') count = int(argv[++i])
      else if (t === 'BLOCK') i++
    }
    return reading(base, count === undefined ? Number.POSITIVE_INFINITY : countItems(count, true), max)
  }
})
def('XADD', (name) => {
  const creates = makeProfile(name, { keys: 1, writes: [w(1, 'creates')] })
  const keeps = makeProfile(name, { keys: 1, writes: [w(1, 'keeps')] })
  return (argv) => {
    // XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT n]] id field value ...
    for (let i = 2; i < argv.length; i++) {
      const t = token(argv[i])
      if (t === 'NOMKSTREAM') return keeps
      if (t === 'MAXLEN' || t === 'MINID') {
        const next = token(argv[i + 1])
        i += next === '=' || next === '~' ? 2 : 1
      } else if (t === 'LIMIT') i++
      else break // the entry ID: what follows are fields and values
    }
    return creates
  }
})
def('XGROUP', () => {
  const create = makeProfile('XGROUP CREATE', { keys: 2, writes: [w(2, 'keeps')] })
  const mkstream = makeProfile('XGROUP CREATE', { keys: 2, writes: [w(2, 'creates')] })
  const other = makeProfile('XGROUP', { keys: 2, writes: [w(2, 'keeps')] })
  const help = makeProfile('XGROUP HELP')
  return (argv) => {
    const sub = token(argv[1])
    if (sub === 'HELP') return help
    if (sub !== 'CREATE') return other
    return has(argv, 5, 'MKSTREAM') ? mkstream : create
  }
})
def('XINFO', () => {
  const stream = makeProfile('XINFO STREAM', { keys: 2, read: R.xinfo })
  const other = makeProfile('XINFO', { keys: 2 })
  const help = makeProfile('XINFO HELP')
  return (argv, max) => {
    const sub = token(argv[1])
    if (sub === 'HELP') return help
    if (sub !== 'STREAM') return other
    if (!has(argv, 3, 'FULL')) return stream
    const count = optionValue(argv, 4, 'COUNT')
    // FULL defaults to COUNT 10; COUNT 0 means every entry.
    return reading(stream, count === 0 ? Number.POSITIVE_INFINITY : (count ?? 10), max)
  }
})
def('XPENDING', (name) => {
  const base = makeProfile(name, { keys: 1, read: R.xpending })
  return (argv, max) => {
    // XPENDING key group [[IDLE ms] start end count [consumer]]
    const at = token(argv[3]) === 'IDLE' ? 5 : 3
    return argv.length > at ? reading(base, countItems(int(argv[at + 2]), false), max) : base
  }
})
def('XAUTOCLAIM', (name) => {
  const base = makeProfile(name, { keys: 1, read: R.xautoclaim, writes: [w(1, 'keeps')] })
  return (argv, max) => reading(base, countItems(optionValue(argv, 6, 'COUNT'), false), max)
})

// -- hashes, sets, sorted sets: counts
def('HSCAN SSCAN ZSCAN', (name) => {
  const base = makeProfile(name, { keys: 1, read: R.keyScan })
  return (argv, max) => reading(base, countItems(scanCount(argv, 3), false), max)
})
def('SCAN', (name) => {
  const base = makeProfile(name, { read: R.scan })
  return (argv, max) => reading(base, countItems(scanCount(argv, 2), false), max)
})

/** COUNT of a *SCAN, skipping the MATCH pattern and TYPE name (a pattern may well be the word COUNT). */
function scanCount(argv: GuardCommand, from: number): number | undefined {
  let count: number | undefined
  for (let i = from; i < argv.length - 1; i++) {
    const t = token(argv[i])
    if (t === 'COUNT') count = int(argv[++i])
    else if (t === 'MATCH' || t === 'TYPE') i++
  }
  return count
}
def('SRANDMEMBER HRANDFIELD ZRANDMEMBER', (name) => {
  const base = makeProfile(name, { keys: 1, read: R.random })
  const repeat = makeProfile(name, { keys: 1, read: R.randomRepeat })
  return (argv, max) => {
    const count = int(argv[2])
    return count !== undefined && count < 0 ? reading(repeat, -count, max) : reading(base, count ?? 0, max)
  }
})
def('SPOP LPOP RPOP ZPOPMIN ZPOPMAX', (name) => {
  const base = makeProfile(name, { keys: 1, read: R.pop, writes: [w(1, 'keeps')] })
  return (argv, max) => reading(base, countItems(int(argv[2]), false), max)
})
def('LMPOP ZMPOP BLMPOP BZMPOP', (name) => {
  const at = name.startsWith('B') ? 2 : 1
  const base = makeProfile(name, {
    keys: 'context',
    multiKey: true,
    read: R.mpop,
    writes: [w('all', 'keeps')],
  })
  return (argv, max) => {
    const numkeys = int(argv[at]) ?? 0
    return reading(base, countItems(optionValue(argv, at + 1 + numkeys, 'COUNT'), false), max)
  }
})
def('LPOS', (name) => {
  const base = makeProfile(name, { keys: 1, read: R.lpos })
  return (argv, max) => {
    const maxlen = optionValue(argv, 3, 'MAXLEN')
    return reading(base, maxlen === undefined || maxlen <= 0 ? Number.POSITIVE_INFINITY : maxlen, max)
  }
})
def('LINDEX', (name) => {
  const base = makeProfile(name, { keys: 1, read: R.lindex })
  return (argv, max) => {
    const index = int(argv[2])
    return reading(base, index === undefined ? 0 : index >= 0 ? index + 1 : -index, max)
  }
})
def('LMOVE BLMOVE RPOPLPUSH BRPOPLPUSH SMOVE', (name) => {
  const move = makeProfile(name, {
    keys: 'context',
    multiKey: true,
    writes: [w(1, 'keeps'), w(2, 'creates')],
  })
  // Same source and destination: a rotation of an existing list.
  const rotate = makeProfile(name, { keys: 1, writes: [w(1, 'keeps')] })
  return (argv) => (text(argv[1]) === text(argv[2]) ? rotate : move)
})

// -- geo
def('GEORADIUS GEORADIUSBYMEMBER GEORADIUS_RO GEORADIUSBYMEMBER_RO', (name) => {
  const from = name.startsWith('GEORADIUSBYMEMBER') ? 5 : 6
  const base = makeProfile(name, { keys: 1, read: R.geo })
  return (argv, max) => {
    let count: number | undefined
    let store: number | undefined
    for (let i = from; i < argv.length; i++) {
      const t = token(argv[i])
      if (t === 'COUNT') count = int(argv[++i])
      else if (t === 'STORE' || t === 'STOREDIST') store = ++i
    }
    const items = count === undefined ? Number.POSITIVE_INFINITY : countItems(count, false)
    if (store === undefined) return reading(base, items, max)
    const stored = makeProfile(name, {
      keys: 'context',
      multiKey: true,
      read: R.geo,
      writes: [w(store, 'clears')],
    })
    return reading(stored, items, max)
  }
})
def('GEOSEARCH GEOSEARCHSTORE', (name) => {
  const store = name === 'GEOSEARCHSTORE'
  const base = store
    ? makeProfile(name, {
        keys: 'context',
        multiKey: true,
        read: { ...R.geo, keys: 2 },
        writes: [w(1, 'clears')],
      })
    : makeProfile(name, { keys: 1, read: R.geo })
  return (argv, max) => {
    let count: number | undefined
    for (let i = store ? 3 : 2; i < argv.length; i++) {
      const t = token(argv[i])
      if (t === 'FROMMEMBER') i += 1
      else if (t === 'FROMLONLAT' || t === 'BYRADIUS') i += 2
      else if (t === 'BYBOX') i += 3
      else if (t === 'COUNT') count = int(argv[++i])
    }
    return reading(base, count === undefined ? Number.POSITIVE_INFINITY : countItems(count, false), max)
  }
})
def('GEOADD ZADD', (name) => {
  const creates = makeProfile(name, { keys: 1, writes: [w(1, 'creates')] })
  const keeps = makeProfile(name, { keys: 1, writes: [w(1, 'keeps')] })
  return (argv) => {
    // Options come before the first score/longitude, which is never a letter token.
    for (let i = 2; i < argv.length; i++) {
      const t = token(argv[i])
      if (t === 'XX') return keeps
      if (t !== 'NX' && t !== 'GT' && t !== 'LT' && t !== 'CH' && t !== 'INCR') break
    }
    return creates
  }
})

// -- strings with options
def('SET', (name) => {
  const withTtl = makeProfile(name, { keys: 1, writes: [w(1, 'with-ttl')] })
  const clears = makeProfile(name, { keys: 1, writes: [w(1, 'clears')] })
  const creates = makeProfile(name, { keys: 1, writes: [w(1, 'creates')] })
  const persists = makeProfile(name, { keys: 1, writes: [w(1, 'persists')] })
  const keeps = makeProfile(name, { keys: 1, writes: [w(1, 'keeps')] })
  return (argv) => {
    // SET key value [NX|XX] [GET] [EX s|PX ms|EXAT t|PXAT t|KEEPTTL]
    let nx = false
    let xx = false
    let keepTtl = false
    for (let i = 3; i < argv.length; i++) {
      const t = token(argv[i])
      switch (t) {
        case 'EX':
        case 'PX':
        case 'EXAT':
        case 'PXAT': {
          const bad = badTtl(argv[i + 1], t[0] === 'E' ? 1000 : 1, t.endsWith('AT') ? 'absolute' : 'positive')
          return bad === undefined ? withTtl : refusedTtl(name, bad)
        }
        case 'KEEPTTL':
          keepTtl = true
          break
        case 'NX':
          nx = true
          break
        case 'XX':
          xx = true
          break
      }
    }
    if (keepTtl) return xx ? keeps : creates
    if (xx) return persists // overwrites an existing key and drops its TTL; no-op on a missing one
    return nx ? creates : clears
  }
})
def('GETEX', (name) => {
  const read = makeProfile(name, { keys: 1 })
  const expires = makeProfile(name, { keys: 1, writes: [w(1, 'expires')] })
  const persists = makeProfile(name, { keys: 1, writes: [w(1, 'persists')] })
  return (argv) => {
    const t = token(argv[2])
    if (t === 'PERSIST') return persists
    if (t !== 'EX' && t !== 'PX' && t !== 'EXAT' && t !== 'PXAT') return read
    const bad = badTtl(argv[3], t[0] === 'E' ? 1000 : 1, t.endsWith('AT') ? 'absolute' : 'positive')
    return bad === undefined ? expires : refusedTtl(name, bad)
  }
})
def('EXPIRE PEXPIRE EXPIREAT PEXPIREAT', (name) => {
  const relative = !name.endsWith('AT')
  const unit = name[0] === 'E' ? 1000 : 1
  const expires = makeProfile(name, { keys: 1, writes: [w(1, 'expires')] })
  const keeps = makeProfile(name, { keys: 1, writes: [w(1, 'keeps')] })
  const deletes = makeProfile(name, { keys: 1, writes: [w(1, 'deletes')] })
  return (argv) => {
    // A TTL ≤ 0 (a time in the past) deletes the key: a valid use. Not an integer, or too far: refused.
    const bad = badTtl(argv[2], unit, relative ? 'relative' : 'absolute')
    if (bad !== undefined) return refusedTtl(name, bad)
    const t = token(argv[3])
    // XX: only keys that already have a TTL; GT: a key without a TTL counts as infinite. Neither gives one.
    if (t === 'XX' || t === 'GT') return keeps
    const ttl = int(argv[2])
    return relative && ttl !== undefined && ttl <= 0 ? deletes : expires
  }
})
def('RESTORE RESTORE-ASKING', (name) => {
  const withTtl = makeProfile(name, { keys: 1, writes: [w(1, 'with-ttl')] })
  const clears = makeProfile(name, { keys: 1, writes: [w(1, 'clears')] })
  return (argv) => {
    // RESTORE key ttl payload [REPLACE] [ABSTTL] ...: ttl 0 is "no TTL", ABSTTL makes it a unix time in ms.
    if (int(argv[2]) === 0) return clears
    let absolute = false
    for (let i = 4; i < argv.length; i++) if (token(argv[i]) === 'ABSTTL') absolute = true
    const bad = badTtl(argv[2], 1, absolute ? 'absolute' : 'positive')
    return bad === undefined ? withTtl : refusedTtl(name, bad)
  }
})
def('BITFIELD', (name) => {
  const read = makeProfile(name, { keys: 1 })
  const creates = makeProfile(name, { keys: 1, writes: [w(1, 'creates')] })
  return (argv) => {
    for (let i = 2; i < argv.length; i++) {
      const t = token(argv[i])
      if (t === 'SET' || t === 'INCRBY') return creates
    }
    return read
  }
})
def('HSETEX', (name) => {
  // Redis 8: fields written with an expiry vanish by themselves, so the key cannot outlive them.
  const expiring = makeProfile(name, { keys: 1, writes: [w(1, 'keeps')] })
  const creates = makeProfile(name, { keys: 1, writes: [w(1, 'creates')] })
  return (argv) => {
    for (let i = 2; i < argv.length; i++) {
      const t = token(argv[i])
      if (t === 'FIELDS') break
      if (t === 'EX' || t === 'PX' || t === 'EXAT' || t === 'PXAT') return expiring
    }
    return creates
  }
})

// -- generic keys with options
def('MIGRATE', (name) => {
  const moves = makeProfile(name, { keys: 'context', multiKey: true, writes: [w('all', 'deletes')] })
  const copies = makeProfile(name, { keys: 'context', multiKey: true })
  return (argv) => (has(argv, 6, 'COPY') ? copies : moves)
})
def('OBJECT', () => {
  const keyed = makeProfile('OBJECT', { keys: 2 })
  const help = makeProfile('OBJECT HELP')
  return (argv) => (token(argv[1]) === 'HELP' ? help : keyed)
})
def('MEMORY', () => {
  const usage = makeProfile('MEMORY USAGE', { keys: 2, read: R.memory })
  const other = makeProfile('MEMORY')
  return (argv, max) => {
    if (token(argv[1]) !== 'USAGE') return other
    return optionValue(argv, 3, 'SAMPLES') === 0 ? reading(usage, Number.POSITIVE_INFINITY, max) : usage
  }
})

// -- server
def('FLUSHALL FLUSHDB', (name) => {
  const async = makeProfile(name)
  const sync = makeProfile(name, { refusal: REFUSE.flush(name) })
  return (argv) => (token(argv[1]) === 'ASYNC' ? async : sync)
})
def('CLIENT', () => {
  const pause = makeProfile('CLIENT PAUSE', { refusal: REFUSE.pause })
  const other = makeProfile('CLIENT')
  return (argv) => (token(argv[1]) === 'PAUSE' ? pause : other)
})

// ---------------------------------------------------------------------------------------------

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

// -- TTL arguments ----------------------------------------------------------------------------

/**
 * Why a TTL argument is not valid, or undefined when it is. `unit` is 1000 for seconds, 1 for
 * milliseconds. `positive`: a relative TTL that must be ≥ 1 (SET PX, SETEX, GETEX, RESTORE);
 * `relative`: EXPIRE/PEXPIRE, where ≤ 0 deletes the key; `absolute`: a unix time, which may be in
 * the past (it deletes) but not more than MAX_TTL_MS ahead of this process's clock — the one
 * place the guard reads a clock; a skew of minutes does not matter against 10 years.
 */
function badTtl(
  arg: GuardCommand[number] | undefined,
  unit: number,
  kind: 'positive' | 'relative' | 'absolute',
): string | undefined {
  const n = int(arg)
  const unitName = unit === 1000 ? 'seconds' : 'milliseconds'
  if (n === undefined || !Number.isSafeInteger(n))
    return `${describeArg(arg)} is not a valid TTL: a whole number of ${unitName} is expected`
  if (kind === 'absolute') {
    if (n <= 0) return `${n} is not a valid TTL: a unix time in ${unitName} is expected`
    if (n * unit - Date.now() > MAX_TTL_MS)
      return `${n} is not a valid TTL: more than ${MAX_TTL_YEARS} years from now (the most the toolkit accepts; declare the key persistent instead)`
    return undefined
  }
  if (kind === 'positive' && n < 1)
    return `${n} is not a valid TTL: at least 1 ${unitName.slice(0, -1)} is expected`
  if (n * unit > MAX_TTL_MS)
    return `${n} ${unitName} is not a valid TTL: more than ${MAX_TTL_YEARS} years (the most the toolkit accepts; declare the key persistent instead)`
  return undefined
}

const MAX_TTL_YEARS = Math.round(MAX_TTL_MS / (365 * 86_400_000))

function describeArg(arg: GuardCommand[number] | undefined): string {
  if (arg === undefined) return 'a missing argument'
  if (typeof arg === 'number') return String(arg)
  const shown =
    typeof arg === 'string' ? arg : Buffer.from(arg.buffer, arg.byteOffset, arg.byteLength).toString('utf8')
  return JSON.stringify(shown.length > 24 ? `${shown.slice(0, 24)}…` : shown)
}

/** The profile of a command whose TTL argument is refused: it gives no TTL (Redis rejects it). */
function refusedTtl(name: string, why: string): Profile {
  return Object.freeze({
    ...makeProfile(name, { keys: 1, writes: [w(1, 'keeps')] }),
    quiet: false,
    badTtl: why,
  })
}
