import type { GuardCode, KeyPolicy } from '../../src/guard/index.js'

/**
 * The guard's decision table as data, so the same cases run against the pure policy (here) and,
 * later, through a connected client against a real server in strict/warn/off.
 *
 * - `declared` applies to every key of the command (undeclared when absent).
 * - `durabilityOk` defaults to true (AOF everysec, no allkeys-* policy).
 * - `expect` is the code of the first violation (the one strict mode throws), or 'ok' when the
 *   guard lets the command through. 'ok' says nothing about the server's reply: some allowed
 *   commands fail on an empty server (OBJECT ENCODING of a missing key), and FLUSHDB ASYNC empties
 *   the database, so run the table on a throw-away server.
 * - Keys that must share a slot use hash tags; 'foo' (slot 12182) and 'bar' (slot 5061) do not.
 */
export interface CommandCase {
  readonly command: readonly string[]
  readonly declared?: Partial<KeyPolicy>
  readonly durabilityOk?: boolean
  readonly expect: 'ok' | GuardCode
  readonly note: string
}

export interface BatchCase {
  readonly commands: readonly (readonly string[])[]
  readonly atomic: boolean
  /** Declarations by key; '*' for every other key. */
  readonly declared?: Readonly<Record<string, Partial<KeyPolicy>>>
  readonly durabilityOk?: boolean
  /** Every violation's code, in command order, or 'ok'. */
  readonly expect: 'ok' | readonly GuardCode[]
  readonly note: string
}

const bounded = (maxItems: number): Partial<KeyPolicy> => ({ maxItems })
const persistent: Partial<KeyPolicy> = { persistent: true }
const sourceOfTruth: Partial<KeyPolicy> = { sourceOfTruth: true }
const sotString: Partial<KeyPolicy> = { sourceOfTruth: true, type: 'string' }

export const COMMAND_CASES: readonly CommandCase[] = [
  // -- 1. Never KEYS
  { command: ['KEYS', '*'], expect: 'GUARD_KEYS', note: 'KEYS walks the keyspace' },
  {
    command: ['keys', 'user:1'],
    expect: 'GUARD_KEYS',
    note: 'KEYS in any form, even an exact key, lower case',
  },
  {
    command: ['SCAN', '0', 'MATCH', 'user:*', 'COUNT', '100'],
    expect: 'ok',
    note: 'SCAN is the replacement',
  },
  { command: ['SCAN', '0'], expect: 'ok', note: 'default COUNT 10' },
  { command: ['SCAN', '0', 'COUNT', '100000'], expect: 'GUARD_UNBOUNDED', note: 'COUNT is work per call' },

  // -- 2. Never an unbounded O(N) read
  { command: ['SMEMBERS', 'tags'], expect: 'GUARD_UNBOUNDED', note: 'whole set, undeclared' },
  { command: ['SMEMBERS', 'tags'], declared: bounded(64), expect: 'ok', note: 'declared maxItems bounds it' },
  {
    command: ['SMEMBERS', 'tags'],
    declared: bounded(5000),
    expect: 'GUARD_UNBOUNDED',
    note: 'bound above max',
  },
  {
    command: ['SMEMBERS', 'tags'],
    declared: {},
    expect: 'GUARD_UNBOUNDED',
    note: 'declared without maxItems',
  },
  { command: ['HGETALL', 'user:1'], expect: 'GUARD_UNBOUNDED', note: 'whole hash' },
  { command: ['HGETALL', 'user:1'], declared: bounded(32), expect: 'ok', note: 'small declared hash' },
  { command: ['HKEYS', 'h'], expect: 'GUARD_UNBOUNDED', note: 'whole hash' },
  { command: ['HVALS', 'h'], expect: 'GUARD_UNBOUNDED', note: 'whole hash' },
  { command: ['HGET', 'h', 'f'], expect: 'ok', note: 'O(1)' },
  { command: ['HMGET', 'h', 'a', 'b'], expect: 'ok', note: 'O(fields asked)' },
  { command: ['HSCAN', 'h', '0', 'COUNT', '100'], expect: 'ok', note: 'bounded scan' },
  { command: ['HSCAN', 'h', '0', 'COUNT', '5000'], expect: 'GUARD_UNBOUNDED', note: 'COUNT above max' },
  { command: ['SSCAN', 's', '0', 'COUNT', '5000'], declared: bounded(100), expect: 'ok', note: 'small set' },
  { command: ['LRANGE', 'l', '0', '-1'], expect: 'GUARD_UNBOUNDED', note: 'whole list' },
  { command: ['LRANGE', 'l', '0', '99'], expect: 'ok', note: 'window of 100' },
  { command: ['LRANGE', 'l', '-100', '-1'], expect: 'ok', note: 'last 100' },
  { command: ['LRANGE', 'l', '0', '4999'], expect: 'GUARD_UNBOUNDED', note: 'window above max' },
  { command: ['LRANGE', 'l', '0', '-1'], declared: bounded(100), expect: 'ok', note: 'capped list' },
  { command: ['ZRANGE', 'z', '0', '-1'], expect: 'GUARD_UNBOUNDED', note: 'full ZRANGE' },
  { command: ['ZRANGE', 'z', '0', '9', 'WITHSCORES'], expect: 'ok', note: 'top 10' },
  {
    command: ['ZRANGE', 'z', '-inf', '+inf', 'BYSCORE'],
    expect: 'GUARD_UNBOUNDED',
    note: 'BYSCORE no LIMIT',
  },
  {
    command: ['ZRANGE', 'z', '-inf', '+inf', 'BYSCORE', 'LIMIT', '0', '50'],
    expect: 'ok',
    note: 'BYSCORE with LIMIT',
  },
  { command: ['ZRANGE', 'z', '-', '+', 'BYLEX'], expect: 'GUARD_UNBOUNDED', note: 'BYLEX no LIMIT' },
  { command: ['ZREVRANGE', 'z', '0', '-1'], expect: 'GUARD_UNBOUNDED', note: 'full ZREVRANGE' },
  { command: ['ZRANGEBYSCORE', 'z', '0', '100'], expect: 'GUARD_UNBOUNDED', note: 'no LIMIT' },
  { command: ['ZRANGEBYSCORE', 'z', '0', '100', 'LIMIT', '0', '10'], expect: 'ok', note: 'LIMIT 10' },
  {
    command: ['ZREVRANGEBYSCORE', 'z', '+inf', '-inf', 'LIMIT', '0', '-1'],
    expect: 'GUARD_UNBOUNDED',
    note: 'negative LIMIT count means all',
  },
  {
    command: ['ZRANGEBYLEX', 'z', '-', '+', 'LIMIT', '0', '2000'],
    expect: 'GUARD_UNBOUNDED',
    note: 'LIMIT > max',
  },
  { command: ['ZREVRANGEBYLEX', 'z', '+', '-', 'LIMIT', '0', '20'], expect: 'ok', note: 'LIMIT 20' },
  { command: ['XRANGE', 'st', '-', '+'], expect: 'GUARD_UNBOUNDED', note: 'XRANGE no COUNT' },
  { command: ['XRANGE', 'st', '-', '+', 'COUNT', '100'], expect: 'ok', note: 'XRANGE COUNT' },
  {
    command: ['XREVRANGE', 'st', '+', '-', 'COUNT', '10000'],
    expect: 'GUARD_UNBOUNDED',
    note: 'COUNT > max',
  },
  { command: ['XREAD', 'STREAMS', 'st', '0'], expect: 'GUARD_UNBOUNDED', note: 'XREAD no COUNT' },
  { command: ['XREAD', 'COUNT', '10', 'STREAMS', 'st', '0'], expect: 'ok', note: 'XREAD COUNT' },
  {
    command: ['XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 'st', '>'],
    expect: 'GUARD_UNBOUNDED',
    note: 'a whole backlog',
  },
  { command: ['SORT', 'l'], expect: 'GUARD_UNBOUNDED', note: 'SORT without LIMIT' },
  {
    command: ['SORT', 'l', 'LIMIT', '0', '10'],
    expect: 'GUARD_UNBOUNDED',
    note: 'LIMIT bounds the reply only',
  },
  { command: ['SORT_RO', 'l', 'ALPHA'], declared: bounded(50), expect: 'ok', note: 'small declared list' },
  { command: ['SINTER', '{t}:a', '{t}:b'], expect: 'GUARD_UNBOUNDED', note: 'set algebra, undeclared' },
  { command: ['SINTER', '{t}:a', '{t}:b'], declared: bounded(100), expect: 'ok', note: 'small sets' },
  {
    command: ['SUNIONSTORE', '{t}:dst', '{t}:a', '{t}:b'],
    expect: 'GUARD_UNBOUNDED',
    note: 'union of undeclared sets (first of two violations)',
  },
  {
    command: ['SDIFF', '{t}:a', '{t}:b'],
    declared: bounded(600),
    expect: 'GUARD_UNBOUNDED',
    note: 'sum 1200 > max',
  },
  { command: ['SRANDMEMBER', 's', '5'], expect: 'ok', note: 'small count' },
  {
    command: ['SRANDMEMBER', 's', '-5000'],
    declared: bounded(10),
    expect: 'GUARD_UNBOUNDED',
    note: 'negative count repeats: the declaration does not bound it',
  },
  { command: ['SPOP', 's', '5000'], expect: 'GUARD_UNBOUNDED', note: 'pop count > max' },
  { command: ['ZPOPMIN', 'z', '5000'], expect: 'GUARD_UNBOUNDED', note: 'pop count > max' },
  { command: ['LPOS', 'l', 'x'], expect: 'GUARD_UNBOUNDED', note: 'scans the whole list' },
  {
    command: ['LPOS', 'l', 'x', 'COUNT', '0', 'MAXLEN', '500'],
    expect: 'ok',
    note: 'MAXLEN bounds the scan',
  },
  { command: ['LINDEX', 'l', '-1'], expect: 'ok', note: 'the tail is O(1)' },
  { command: ['LINDEX', 'l', '50000'], expect: 'GUARD_UNBOUNDED', note: 'walks 50000 nodes' },
  { command: ['GEORADIUS', 'geo', '15', '37', '200', 'km'], expect: 'GUARD_UNBOUNDED', note: 'no COUNT' },
  {
    command: ['GEOSEARCH', 'geo', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'ASC', 'COUNT', '10'],
    expect: 'ok',
    note: 'COUNT 10',
  },
  {
    command: ['ZRANGESTORE', '{t}:dst', '{t}:src', '0', '-1'],
    expect: 'GUARD_UNBOUNDED',
    note: 'full range',
  },
  { command: ['DUMP', 'h'], expect: 'GUARD_UNBOUNDED', note: 'serializes the whole key' },
  {
    command: ['MEMORY', 'USAGE', 'h', 'SAMPLES', '0'],
    expect: 'GUARD_UNBOUNDED',
    note: 'walks every element',
  },
  { command: ['MEMORY', 'USAGE', 'h'], expect: 'ok', note: 'samples 5' },
  {
    command: ['XINFO', 'STREAM', 'st', 'FULL', 'COUNT', '0'],
    expect: 'GUARD_UNBOUNDED',
    note: 'every entry',
  },

  // -- 3. Never a cache key without a TTL
  { command: ['SET', 'k', 'v'], expect: 'GUARD_TTL_REQUIRED', note: 'plain SET' },
  { command: ['SET', 'k', 'v', 'PX', '60000'], expect: 'ok', note: 'SET with PX' },
  { command: ['SET', 'k', 'v', 'EX', '60', 'NX'], expect: 'ok', note: 'SET NX EX' },
  { command: ['set', 'k', 'v', 'ex', '60'], expect: 'ok', note: 'lower case' },
  { command: ['SET', 'k', 'v', 'EXAT', '1893456000'], expect: 'ok', note: 'absolute expiry' },
  {
    command: ['SET', 'k', 'v', 'KEEPTTL'],
    expect: 'GUARD_TTL_REQUIRED',
    note: 'KEEPTTL may create a key without TTL',
  },
  { command: ['SET', 'k', 'v', 'XX', 'KEEPTTL'], expect: 'ok', note: 'updates an existing key, TTL kept' },
  { command: ['SET', 'k', 'v', 'NX'], expect: 'GUARD_TTL_REQUIRED', note: 'creates without TTL' },
  { command: ['SET', 'k', 'v', 'XX'], expect: 'GUARD_TTL_REQUIRED', note: 'drops the existing TTL' },
  { command: ['SET', 'cfg:x', 'v'], declared: persistent, expect: 'ok', note: 'persistent entry' },
  { command: ['SET', 'acct:1', 'v'], declared: sourceOfTruth, expect: 'ok', note: 'source of truth, AOF on' },
  { command: ['SETEX', 'k', '60', 'v'], expect: 'ok', note: 'SETEX' },
  { command: ['PSETEX', 'k', '60000', 'v'], expect: 'ok', note: 'PSETEX' },
  { command: ['SETNX', 'k', 'v'], expect: 'GUARD_TTL_REQUIRED', note: 'SETNX' },
  { command: ['GETSET', 'k', 'v'], expect: 'GUARD_TTL_REQUIRED', note: 'GETSET clears the TTL' },
  {
    command: ['MSET', '{u}:a', '1', '{u}:b', '2'],
    expect: 'GUARD_TTL_REQUIRED',
    note: 'MSET has no TTL option',
  },
  { command: ['HSET', 'h', 'f', 'v'], expect: 'GUARD_TTL_REQUIRED', note: 'may create the hash' },
  { command: ['HSET', 'h', 'f', 'v'], declared: { keepsTtl: true }, expect: 'ok', note: 'keepsTtl entry' },
  { command: ['INCR', 'counter'], expect: 'GUARD_TTL_REQUIRED', note: 'may create the counter' },
  { command: ['SADD', 's', 'm'], declared: persistent, expect: 'ok', note: 'persistent set' },
  { command: ['ZADD', 'z', '1', 'm'], expect: 'GUARD_TTL_REQUIRED', note: 'may create the zset' },
  { command: ['ZADD', 'z', 'XX', '1', 'm'], expect: 'ok', note: 'XX: existing key only' },
  { command: ['LPUSHX', 'l', 'x'], expect: 'ok', note: 'existing list only' },
  { command: ['XADD', 'st', '*', 'f', 'v'], expect: 'GUARD_TTL_REQUIRED', note: 'may create the stream' },
  {
    command: ['XADD', 'st', 'NOMKSTREAM', 'MAXLEN', '~', '1000', '*', 'f', 'v'],
    expect: 'ok',
    note: 'NOMKSTREAM: existing stream only',
  },
  { command: ['EXPIRE', 'k', '60'], expect: 'ok', note: 'gives a TTL' },
  { command: ['PERSIST', 'k'], expect: 'GUARD_TTL_REQUIRED', note: 'removes the TTL' },
  { command: ['GETEX', 'k', 'PERSIST'], expect: 'GUARD_TTL_REQUIRED', note: 'removes the TTL' },
  { command: ['GETEX', 'k', 'EX', '60'], expect: 'ok', note: 'sliding expiry' },
  { command: ['APPEND', 'k', 'x'], expect: 'GUARD_TTL_REQUIRED', note: 'may create the string' },
  { command: ['SETRANGE', 'k', '0', 'x'], expect: 'GUARD_TTL_REQUIRED', note: 'may create the string' },
  { command: ['PFADD', 'hll', 'a'], expect: 'GUARD_TTL_REQUIRED', note: 'may create the HLL' },
  { command: ['RESTORE', 'k', '0', 'payload'], expect: 'GUARD_TTL_REQUIRED', note: 'RESTORE with TTL 0' },
  {
    command: ['SINTERSTORE', '{t}:dst', '{t}:a', '{t}:b'],
    declared: bounded(10),
    expect: 'GUARD_TTL_REQUIRED',
    note: 'the destination is overwritten without a TTL',
  },
  { command: ['RENAME', '{u}:a', '{u}:b'], expect: 'ok', note: 'the TTL moves with the key' },
  { command: ['GETDEL', 'k'], expect: 'ok', note: 'deleting is fine' },
  { command: ['UNLINK', '{u}:a', '{u}:b'], expect: 'ok', note: 'deleting is fine' },
  { command: ['HDEL', 'h', 'f'], expect: 'ok', note: 'existing key only' },
  {
    command: ['LMOVE', '{q}:pending', '{q}:work', 'LEFT', 'RIGHT'],
    expect: 'GUARD_TTL_REQUIRED',
    note: 'the destination may be created',
  },
  {
    command: ['LMOVE', '{q}:pending', '{q}:work', 'LEFT', 'RIGHT'],
    declared: persistent,
    expect: 'ok',
    note: 'persistent queue lists',
  },
  { command: ['BITFIELD', 'bf', 'GET', 'u8', '0'], expect: 'ok', note: 'read-only BITFIELD' },
  {
    command: ['BITFIELD', 'bf', 'INCRBY', 'u8', '0', '1'],
    expect: 'GUARD_TTL_REQUIRED',
    note: 'writing BITFIELD',
  },

  // -- 4. Never a source of truth without AOF
  {
    command: ['SET', 'acct:1', 'v'],
    declared: sourceOfTruth,
    durabilityOk: false,
    expect: 'GUARD_DURABILITY',
    note: 'AOF off',
  },
  {
    command: ['HINCRBY', 'acct:1', 'balance', '5'],
    declared: sourceOfTruth,
    durabilityOk: false,
    expect: 'GUARD_DURABILITY',
    note: 'any write',
  },
  {
    command: ['DEL', 'acct:1'],
    declared: sotString,
    durabilityOk: false,
    expect: 'GUARD_DURABILITY',
    note: 'a delete is a write too',
  },
  {
    command: ['GET', 'acct:1'],
    declared: sotString,
    durabilityOk: false,
    expect: 'ok',
    note: 'reads are fine',
  },
  {
    command: ['HSET', 'cache:1', 'f', 'v'],
    declared: { keepsTtl: true },
    durabilityOk: false,
    expect: 'ok',
    note: 'not a source of truth',
  },
  {
    command: ['EVAL', 'return 1', '1', 'acct:1'],
    declared: sourceOfTruth,
    durabilityOk: false,
    expect: 'GUARD_DURABILITY',
    note: 'a script may write its keys',
  },
  {
    command: ['EVAL_RO', 'return 1', '1', 'acct:1'],
    declared: sourceOfTruth,
    durabilityOk: false,
    expect: 'ok',
    note: 'read-only script',
  },

  // -- Blocking and dangerous commands
  { command: ['FLUSHALL'], expect: 'GUARD_BLOCKING', note: 'synchronous flush' },
  { command: ['FLUSHALL', 'SYNC'], expect: 'GUARD_BLOCKING', note: 'synchronous flush' },
  { command: ['FLUSHDB', 'ASYNC'], expect: 'ok', note: 'background flush (empties the test database)' },
  { command: ['DEBUG', 'SLEEP', '0'], expect: 'GUARD_BLOCKING', note: 'DEBUG' },
  { command: ['MONITOR'], expect: 'GUARD_BLOCKING', note: 'MONITOR' },
  { command: ['SAVE'], expect: 'GUARD_BLOCKING', note: 'foreground RDB' },
  { command: ['SHUTDOWN', 'NOSAVE'], expect: 'GUARD_BLOCKING', note: 'stops the server' },
  { command: ['CLIENT', 'PAUSE', '10'], expect: 'GUARD_BLOCKING', note: 'stalls every client' },
  { command: ['CLIENT', 'SETNAME', 'guard-test'], expect: 'ok', note: 'harmless CLIENT subcommand' },
  { command: ['DEL', 'biglist'], expect: 'GUARD_BLOCKING', note: 'undeclared: maybe a large collection' },
  {
    command: ['DEL', 'biglist'],
    declared: { type: 'list' },
    expect: 'GUARD_BLOCKING',
    note: 'unbounded list',
  },
  { command: ['DEL', 'page:1'], declared: { type: 'string' }, expect: 'ok', note: 'a string frees at once' },
  { command: ['DEL', 'small'], declared: { type: 'hash', maxItems: 64 }, expect: 'ok', note: 'small hash' },
  { command: ['UNLINK', 'biglist'], expect: 'ok', note: 'frees in the background' },

  // -- Cluster slots
  { command: ['MGET', 'foo', 'bar'], expect: 'GUARD_CROSSSLOT', note: 'two slots' },
  { command: ['MGET', '{u}:a', '{u}:b'], expect: 'ok', note: 'one hash tag' },
  {
    command: ['MSET', '{u1}:a', '1', '{u1}:b', '2'],
    declared: persistent,
    expect: 'ok',
    note: 'one slot, persistent',
  },
  {
    command: ['DEL', 'foo', 'bar'],
    declared: { type: 'string' },
    expect: 'GUARD_CROSSSLOT',
    note: 'two slots',
  },
  { command: ['RENAME', 'foo', 'bar'], expect: 'GUARD_CROSSSLOT', note: 'two slots' },
  { command: ['EVAL', 'return 1', '2', 'foo', 'bar'], expect: 'GUARD_CROSSSLOT', note: 'script keys' },
  {
    command: ['EVAL', 'return 1', '2', '{user1000}.following', '{user1000}.followers'],
    expect: 'ok',
    note: 'script keys share a tag',
  },
  { command: ['SUNION', 'foo', 'bar'], declared: bounded(10), expect: 'GUARD_CROSSSLOT', note: 'two slots' },
  { command: ['WATCH', 'foo', 'bar'], expect: 'GUARD_CROSSSLOT', note: 'WATCH is multi-key' },
  { command: ['FCALL', 'f', '2', 'foo', 'bar'], expect: 'GUARD_CROSSSLOT', note: 'function keys' },
  { command: ['BLPOP', '{q}:a', '{q}:b', '0.01'], expect: 'ok', note: 'one slot, pops keep TTLs' },

  // -- Harmless
  { command: ['GET', 'k'], expect: 'ok', note: 'O(1)' },
  { command: ['PING'], expect: 'ok', note: 'keyless' },
  { command: ['INFO', 'persistence'], expect: 'ok', note: 'keyless' },
  { command: ['CONFIG', 'GET', 'appendonly'], expect: 'ok', note: 'admin read' },
  { command: ['TTL', 'k'], expect: 'ok', note: 'O(1)' },
  { command: ['EXISTS', 'k'], expect: 'ok', note: 'one key' },
  { command: ['OBJECT', 'ENCODING', 'h'], expect: 'ok', note: 'O(1)' },
  { command: ['PUBLISH', 'ch', 'hello'], expect: 'ok', note: 'channels are not keys' },
  { command: ['RANDOMKEY'], expect: 'ok', note: 'O(1)' },
]

export const BATCH_CASES: readonly BatchCase[] = [
  {
    commands: [
      ['HSET', 'h', 'f', 'v'],
      ['PEXPIRE', 'h', '60000'],
    ],
    atomic: false,
    expect: 'ok',
    note: 'the batch gives the key a TTL',
  },
  {
    commands: [
      ['HSET', 'h', 'f', 'v'],
      ['HGET', 'h', 'f'],
    ],
    atomic: false,
    expect: ['GUARD_TTL_REQUIRED'],
    note: 'nothing gives h a TTL',
  },
  {
    commands: [
      ['PEXPIRE', 'h', '60000'],
      ['HSET', 'h', 'f', 'v'],
    ],
    atomic: true,
    expect: ['GUARD_TTL_REQUIRED'],
    note: 'an EXPIRE before the write is a no-op on a missing key',
  },
  {
    commands: [
      ['SET', 'k', 'v', 'PX', '60000'],
      ['APPEND', 'k', 'x'],
    ],
    atomic: false,
    expect: 'ok',
    note: 'k exists with a TTL, APPEND keeps it',
  },
  {
    commands: [
      ['SET', 'k', 'v', 'PX', '60000'],
      ['SET', 'k', 'v2'],
    ],
    atomic: false,
    expect: ['GUARD_TTL_REQUIRED'],
    note: 'the second SET drops the TTL',
  },
  {
    commands: [
      ['SET', 'k', 'v'],
      ['EXPIRE', 'k', '60'],
    ],
    atomic: true,
    expect: 'ok',
    note: 'SET then EXPIRE in one MULTI',
  },
  {
    commands: [
      ['SET', 'k', 'v', 'EX', '60'],
      ['PERSIST', 'k'],
    ],
    atomic: false,
    expect: ['GUARD_TTL_REQUIRED'],
    note: 'PERSIST removes it again',
  },
  {
    commands: [
      ['INCR', 'c'],
      ['EXPIRE', 'c', '60', 'NX'],
    ],
    atomic: false,
    expect: 'ok',
    note: 'the rate-limiter idiom',
  },
  {
    commands: [
      ['INCR', 'c'],
      ['EXPIRE', 'c', '60', 'XX'],
    ],
    atomic: false,
    expect: ['GUARD_TTL_REQUIRED'],
    note: 'XX does nothing to a key without a TTL',
  },
  {
    commands: [
      ['INCR', 'c'],
      ['EXPIRE', 'c', '60', 'GT'],
    ],
    atomic: false,
    expect: ['GUARD_TTL_REQUIRED'],
    note: 'GT treats no TTL as infinite',
  },
  {
    commands: [
      ['INCR', 'c'],
      ['PEXPIRE', 'c', '60000', 'LT'],
    ],
    atomic: false,
    expect: 'ok',
    note: 'LT sets a TTL on a key without one',
  },
  {
    commands: [
      ['SET', '{t}:tmp', 'v'],
      ['RENAME', '{t}:tmp', '{t}:dst'],
    ],
    atomic: true,
    expect: ['GUARD_TTL_REQUIRED'],
    note: 'the TTL-less value moves to dst',
  },
  {
    commands: [
      ['SET', '{t}:tmp', 'v', 'PX', '1000'],
      ['RENAME', '{t}:tmp', '{t}:dst'],
    ],
    atomic: true,
    expect: 'ok',
    note: 'the TTL moves with it',
  },
  {
    commands: [
      ['SET', 'k', 'v'],
      ['UNLINK', 'k'],
    ],
    atomic: false,
    expect: 'ok',
    note: 'deleted by the end of the batch',
  },
  {
    commands: [
      ['HSET', 'h', 'f', 'v'],
      ['PEXPIRE', 'h', '0'],
    ],
    atomic: false,
    expect: 'ok',
    note: 'PEXPIRE 0 deletes',
  },
  {
    commands: [
      ['SET', '{u1}:a', '1', 'PX', '1000'],
      ['SET', '{u1}:b', '2', 'PX', '1000'],
    ],
    atomic: true,
    expect: 'ok',
    note: 'one slot',
  },
  {
    commands: [
      ['SET', 'foo', '1', 'PX', '1000'],
      ['SET', 'bar', '2', 'PX', '1000'],
    ],
    atomic: true,
    expect: ['GUARD_CROSSSLOT'],
    note: 'a MULTI over two slots',
  },
  {
    commands: [
      ['SET', 'foo', '1', 'PX', '1000'],
      ['SET', 'bar', '2', 'PX', '1000'],
    ],
    atomic: false,
    expect: 'ok',
    note: 'a pipeline may span slots',
  },
  {
    commands: [['MGET', 'foo', 'bar']],
    atomic: false,
    expect: ['GUARD_CROSSSLOT'],
    note: 'but each multi-key command may not',
  },
  {
    commands: [['MULTI'], ['SET', 'foo', '1', 'PX', '1'], ['SET', 'bar', '2', 'PX', '1'], ['EXEC']],
    atomic: false,
    expect: ['GUARD_CROSSSLOT'],
    note: 'MULTI ... EXEC inside a pipeline is one transaction',
  },
  {
    commands: [
      ['MULTI'],
      ['SET', 'foo', '1', 'PX', '1'],
      ['EXEC'],
      ['MULTI'],
      ['SET', 'bar', '2', 'PX', '1'],
      ['EXEC'],
    ],
    atomic: false,
    expect: 'ok',
    note: 'two transactions, one slot each',
  },
  {
    commands: [
      ['GET', '{a}:1'],
      ['KEYS', '*'],
    ],
    atomic: true,
    expect: ['GUARD_KEYS'],
    note: 'KEYS inside a MULTI',
  },
  {
    commands: [
      ['SADD', 's', 'a'],
      ['SMEMBERS', 's'],
      ['EXPIRE', 's', '60'],
    ],
    atomic: false,
    expect: ['GUARD_UNBOUNDED'],
    note: 'per-command rules still apply',
  },
  {
    commands: [['HSET', 'cfg', 'f', 'v']],
    atomic: false,
    declared: { cfg: persistent },
    expect: 'ok',
    note: 'persistent key',
  },
  {
    commands: [
      ['HSET', '{o}:1', 'f', 'v'],
      ['PEXPIRE', '{o}:1', '60000'],
      ['LPUSH', '{o}:log', 'x'],
    ],
    atomic: true,
    expect: ['GUARD_TTL_REQUIRED'],
    note: 'the log gets no TTL',
  },
  {
    commands: [
      ['SINTERSTORE', '{t}:d', '{t}:a', '{t}:b'],
      ['EXPIRE', '{t}:d', '60'],
    ],
    atomic: true,
    declared: { '{t}:a': bounded(10), '{t}:b': bounded(10) },
    expect: 'ok',
    note: 'small sources, destination gets a TTL',
  },
  {
    commands: [
      ['LPUSH', 'q', 'x'],
      ['LTRIM', 'q', '0', '99'],
    ],
    atomic: false,
    expect: ['GUARD_TTL_REQUIRED'],
    note: 'LTRIM bounds size, not lifetime',
  },
  {
    commands: [
      ['XADD', 'st', '*', 'f', 'v'],
      ['XADD', 'st', '*', 'f', 'v'],
      ['EXPIRE', 'st', '60'],
    ],
    atomic: false,
    expect: 'ok',
    note: 'one EXPIRE after several writes',
  },
  {
    commands: [
      ['KEYS', '*'],
      ['SET', 'k', 'v'],
    ],
    atomic: false,
    expect: ['GUARD_KEYS', 'GUARD_TTL_REQUIRED'],
    note: 'every violation, in command order',
  },
  {
    commands: [
      ['MSET', '{u}:a', '1', '{u}:b', '2'],
      ['EXPIRE', '{u}:a', '60'],
    ],
    atomic: true,
    expect: ['GUARD_TTL_REQUIRED'],
    note: '{u}:b gets no TTL',
  },
  {
    commands: [
      ['SET', 'k', 'v', 'PX', '100'],
      ['GETEX', 'k', 'PERSIST'],
    ],
    atomic: false,
    expect: ['GUARD_TTL_REQUIRED'],
    note: 'GETEX PERSIST removes the TTL',
  },
  {
    commands: [
      ['SET', 'acct', '1'],
      ['GET', 'acct'],
    ],
    atomic: false,
    declared: { acct: sourceOfTruth },
    durabilityOk: false,
    expect: ['GUARD_DURABILITY'],
    note: 'source of truth without AOF',
  },
]
