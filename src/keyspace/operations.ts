import type { EntryPolicy } from './declaration.js'
import type { TypeKind } from './types.js'

/**
 * The typed operations of each entry type, as data: the exact commands each one sends in its
 * single round trip under a given policy, its complexity, and whether it is refused for an
 * unbounded entry. The decision log prints it; the integration tests check every row against
 * `INFO commandstats` on a real server, so this table cannot drift from the code.
 *
 * How the policy changes the commands:
 * - a write to an entry with a finite TTL runs in one script (ops/write.lua, EVALSHA) that sends the
 *   write and then PEXPIRE, so the key never exists without its TTL, and a write that fails
 *   (WRONGTYPE on a legacy key) raises before the PEXPIRE and leaves the key exactly as it was —
 *   MULTI/EXEC could not: EXEC runs PEXPIRE even when the write before it failed (SET carries PX
 *   itself and needs neither);
 * - a read of a sliding entry is pipelined with a PEXPIRE (one round trip, no MULTI: a read has
 *   nothing to roll back);
 * - a bounded list's pushes trim it with LTRIM (in the script with the push, or in MULTI/EXEC
 *   without a TTL); a bounded stream's XADD trims with MAXLEN ~.
 *
 * Round trips and commands per call (pinned by test/keyspace/roundtrips.test.ts; `INFO
 * commandstats` counts EVALSHA and each command the script runs). A server that has not cached
 * the script yet answers the first EVALSHA with NOSCRIPT: that one write costs a second round trip
 * (EVAL with the source, which caches it); every later one is 1.
 *
 * | type    | operation                          | RTT | finite TTL                     | persistent     | sliding read adds |
 * |---------|------------------------------------|-----|--------------------------------|----------------|-------------------|
 * | any     | delete / exists / ttl              | 1   | UNLINK / EXISTS / PTTL         | same           | —                 |
 * | string, | get                                | 1   | GET                            | GET            | PEXPIRE           |
 * | json    | set                                | 1   | SET … PX                       | SET            | —                 |
 * | counter | get / set                          | 1   | GET / SET … PX                 | GET / SET      | PEXPIRE (get)     |
 * |         | incr / incrBy                      | 1   | EVALSHA INCRBY PEXPIRE         | INCRBY         | —                 |
 * | hash    | hget hmget hexists len get         | 1   | HGET HMGET HEXISTS HLEN HGETALL| same           | PEXPIRE           |
 * |         | hset hdel hincrBy                  | 1   | EVALSHA <cmd> PEXPIRE          | <cmd>          | —                 |
 * |         | scan                               | 1/page | HSCAN                       | HSCAN          | —                 |
 * | list    | push / unshift                     | 1   | EVALSHA R/LPUSH [LTRIM] PEXPIRE | R/LPUSH, or MULTI … LTRIM EXEC when bounded | — |
 * |         | pop / shift                        | 1   | EVALSHA R/LPOP PEXPIRE         | R/LPOP         | —                 |
 * |         | range / len                        | 1   | LRANGE / LLEN                  | same           | PEXPIRE           |
 * | set     | add / remove                       | 1   | EVALSHA SADD/SREM PEXPIRE      | SADD / SREM    | —                 |
 * |         | isMember card members              | 1   | SISMEMBER SCARD SMEMBERS       | same           | PEXPIRE           |
 * |         | scan                               | 1/page | SSCAN                       | SSCAN          | —                 |
 * | zset    | add incr remove                    | 1   | EVALSHA ZADD/ZINCRBY/ZREM PEXPIRE | <cmd>       | —                 |
 * |         | score rank range rangeByScore card | 1   | ZSCORE Z(REV)RANK Z(REV)RANGE Z(REV)RANGEBYSCORE ZCARD | same | PEXPIRE |
 * |         | scan                               | 1/page | ZSCAN                       | ZSCAN          | —                 |
 * | stream  | add                                | 1   | EVALSHA XADD [MAXLEN ~] PEXPIRE | XADD          | —                 |
 * |         | len / range                        | 1   | XLEN / X(REV)RANGE … COUNT     | same           | PEXPIRE           |
 * | hll     | add / merge                        | 1   | EVALSHA PFADD/PFMERGE PEXPIRE  | <cmd>          | —                 |
 * |         | count                              | 1   | PFCOUNT                        | PFCOUNT        | PEXPIRE           |
 * | bitmap  | setBit                             | 1   | EVALSHA SETBIT PEXPIRE         | SETBIT         | —                 |
 * |         | getBit / count                     | 1   | GETBIT / BITCOUNT              | same           | PEXPIRE           |
 *
 * A variadic write with more than 4000 values (HSET of 2000+ fields, SADD of 4000+ members) runs
 * as several commands of 4000 values inside the one script (Lua cannot unpack more at once):
 * still one round trip and all-or-nothing for a wrong type; commandstats counts each chunk.
 *
 * Whole-collection reads (hash get, set members) and unbounded windows are refused with
 * UNBOUNDED_READ before any I/O (0 round trips) unless maxItems bounds the entry.
 */
export interface OperationPlan {
  /** Method name on the bound handle. */
  readonly op: string
  /** Commands sent in the one round trip, in order (MULTI/EXEC or EVALSHA included). */
  readonly commands: readonly string[]
  readonly complexity: string
  /** `refused`: the method exists only for bounded entries (UNBOUNDED_READ otherwise). */
  readonly status: 'ok' | 'bounded' | 'refused'
  readonly note?: string
}

type Access = 'read' | 'write' | 'meta' | 'set'

interface OperationSpec {
  readonly op: string
  readonly command: string
  readonly access: Access
  readonly complexity: string
  /** A whole-collection read: offered only when maxItems bounds the collection. */
  readonly whole?: boolean
  /** A read whose call must carry its own bound (index window, LIMIT, COUNT) when unbounded. */
  readonly callBound?: string
  readonly note?: string
  /** Extra command a bounded entry's write sends (LTRIM). */
  readonly trim?: string
  /** Iterates with a cursor: one round trip per page. */
  readonly cursor?: boolean
}

const KEY_OPS: readonly OperationSpec[] = [
  {
    op: 'delete',
    command: 'UNLINK',
    access: 'meta',
    complexity: 'O(1) here; memory freed in the background',
  },
  { op: 'exists', command: 'EXISTS', access: 'meta', complexity: 'O(1)' },
  { op: 'ttl', command: 'PTTL', access: 'meta', complexity: 'O(1)' },
]

const VALUE_OPS: readonly OperationSpec[] = [
  { op: 'get', command: 'GET', access: 'read', complexity: 'O(1), transfers the whole value' },
  { op: 'set', command: 'SET', access: 'set', complexity: 'O(1), rewrites the whole value' },
]

const SPECS: Readonly<Record<TypeKind, readonly OperationSpec[]>> = {
  string: VALUE_OPS,
  json: VALUE_OPS,
  counter: [
    { op: 'get', command: 'GET', access: 'read', complexity: 'O(1)' },
    { op: 'incr', command: 'INCRBY', access: 'write', complexity: 'O(1), atomic on the server' },
    { op: 'incrBy', command: 'INCRBY', access: 'write', complexity: 'O(1), atomic on the server' },
    { op: 'set', command: 'SET', access: 'set', complexity: 'O(1)' },
  ],
  hash: [
    { op: 'hget', command: 'HGET', access: 'read', complexity: 'O(1)' },
    { op: 'hmget', command: 'HMGET', access: 'read', complexity: 'O(k) for k fields' },
    { op: 'hset', command: 'HSET', access: 'write', complexity: 'O(k) for k fields' },
    { op: 'hdel', command: 'HDEL', access: 'write', complexity: 'O(k) for k fields' },
    { op: 'hincrBy', command: 'HINCRBY', access: 'write', complexity: 'O(1), atomic on the server' },
    { op: 'hexists', command: 'HEXISTS', access: 'read', complexity: 'O(1)' },
    { op: 'len', command: 'HLEN', access: 'read', complexity: 'O(1)' },
    { op: 'get', command: 'HGETALL', access: 'read', complexity: 'O(N), N ≤ maxItems', whole: true },
    { op: 'scan', command: 'HSCAN', access: 'meta', complexity: 'O(1) per page, O(N) in all', cursor: true },
  ],
  list: [
    { op: 'push', command: 'RPUSH', access: 'write', complexity: 'O(k) for k values', trim: 'LTRIM' },
    { op: 'unshift', command: 'LPUSH', access: 'write', complexity: 'O(k) for k values', trim: 'LTRIM' },
    { op: 'pop', command: 'RPOP', access: 'write', complexity: 'O(1)' },
    { op: 'shift', command: 'LPOP', access: 'write', complexity: 'O(1)' },
    {
      op: 'range',
      command: 'LRANGE',
      access: 'read',
      complexity: 'O(S+M): S offset from the nearer end, M returned',
      callBound: 'an index window of one sign (0..99 or -100..-1), never 0..-1',
    },
    { op: 'len', command: 'LLEN', access: 'read', complexity: 'O(1)' },
  ],
  set: [
    { op: 'add', command: 'SADD', access: 'write', complexity: 'O(k) for k members' },
    { op: 'remove', command: 'SREM', access: 'write', complexity: 'O(k) for k members' },
    { op: 'isMember', command: 'SISMEMBER', access: 'read', complexity: 'O(1)' },
    { op: 'card', command: 'SCARD', access: 'read', complexity: 'O(1)' },
    { op: 'members', command: 'SMEMBERS', access: 'read', complexity: 'O(N), N ≤ maxItems', whole: true },
    { op: 'scan', command: 'SSCAN', access: 'meta', complexity: 'O(1) per page, O(N) in all', cursor: true },
  ],
  zset: [
    { op: 'add', command: 'ZADD', access: 'write', complexity: 'O(k log N) for k members' },
    { op: 'incr', command: 'ZINCRBY', access: 'write', complexity: 'O(log N), atomic on the server' },
    { op: 'score', command: 'ZSCORE', access: 'read', complexity: 'O(1)' },
    { op: 'rank', command: 'ZRANK', access: 'read', complexity: 'O(log N)', note: 'ZREVRANK with reverse' },
    {
      op: 'range',
      command: 'ZRANGE',
      access: 'read',
      complexity: 'O(log N + M), M returned',
      callBound: 'a rank window of one sign (0..9 or -10..-1)',
      note: 'ZREVRANGE with reverse',
    },
    {
      op: 'rangeByScore',
      command: 'ZRANGEBYSCORE',
      access: 'read',
      complexity: 'O(log N + M), M ≤ count',
      callBound: 'a count (LIMIT)',
      note: 'ZREVRANGEBYSCORE with reverse',
    },
    { op: 'remove', command: 'ZREM', access: 'write', complexity: 'O(k log N) for k members' },
    { op: 'card', command: 'ZCARD', access: 'read', complexity: 'O(1)' },
    { op: 'scan', command: 'ZSCAN', access: 'meta', complexity: 'O(1) per page, O(N) in all', cursor: true },
  ],
  stream: [
    { op: 'add', command: 'XADD', access: 'write', complexity: 'O(1) amortized (trimming included)' },
    { op: 'len', command: 'XLEN', access: 'read', complexity: 'O(1)' },
    {
      op: 'range',
      command: 'XRANGE',
      access: 'read',
      complexity: 'O(log N + M), M ≤ count',
      callBound: 'a count (COUNT)',
      note: 'XREVRANGE with reverse',
    },
  ],
  hll: [
    { op: 'add', command: 'PFADD', access: 'write', complexity: 'O(1) per element' },
    {
      op: 'count',
      command: 'PFCOUNT',
      access: 'read',
      complexity: 'O(1) (cached); O(k) for a union of k keys',
    },
    { op: 'merge', command: 'PFMERGE', access: 'write', complexity: 'O(k) for k sources (12 KB each)' },
  ],
  bitmap: [
    { op: 'setBit', command: 'SETBIT', access: 'write', complexity: 'O(1); allocates up to the offset' },
    { op: 'getBit', command: 'GETBIT', access: 'read', complexity: 'O(1)' },
    { op: 'count', command: 'BITCOUNT', access: 'read', complexity: 'O(bytes) of the range' },
  ],
}

/** The plans of every operation an entry offers (and the refused ones, marked). */
export function operationsFor(policy: EntryPolicy): OperationPlan[] {
  const bounded = policy.maxItems !== null
  const finiteTtl = policy.ttlMs !== null
  return [...SPECS[policy.kind], ...KEY_OPS].map((spec) => {
    let commands: string[] = [spec.command]
    if (spec.trim && bounded) commands.push(spec.trim)
    if (spec.access === 'write' && finiteTtl) commands = ['EVALSHA', ...commands, 'PEXPIRE']
    else if (commands.length > 1) commands = ['MULTI', ...commands, 'EXEC']
    if (spec.access === 'read' && policy.sliding) commands.push('PEXPIRE')
    const status = spec.whole
      ? bounded
        ? 'bounded'
        : 'refused'
      : spec.callBound && !bounded
        ? 'bounded'
        : 'ok'
    const notes = [
      spec.note,
      spec.whole && !bounded ? 'refused: no maxItems; use scan' : undefined,
      spec.callBound && !bounded ? `the call must be bounded: ${spec.callBound}` : undefined,
      spec.cursor ? 'one round trip per page' : undefined,
      spec.op === 'set' && finiteTtl ? 'PX carries the TTL' : undefined,
      spec.access === 'write' && finiteTtl
        ? 'one script: PEXPIRE only after the write succeeded; a failed write leaves the key as it was'
        : undefined,
      spec.command === 'XADD' && bounded ? `MAXLEN ~ ${policy.maxItems}` : undefined,
      spec.trim && bounded ? `keeps the ${policy.maxItems} newest` : undefined,
    ].filter((n): n is string => n !== undefined)
    return {
      op: spec.op,
      commands,
      complexity: spec.complexity,
      status,
      ...(notes.length > 0 ? { note: notes.join('; ') } : {}),
    }
  })
}
