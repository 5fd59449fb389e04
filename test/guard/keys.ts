import type { GuardCommand, GuardContext, KeyPolicy } from '../../src/guard/index.js'

/**
 * A test stand-in for the client's key finder: the (firstKey, lastKey, step) of every Redis 7.0
 * command as `COMMAND` reports it (captured from redis-server 7.0.15), plus the rules for the
 * commands whose keys move (movablekeys) and the containers whose subcommands name a key.
 * [first, last, step, movable?]
 */
export const REDIS_7_COMMANDS: Readonly<Record<string, readonly [number, number, number, boolean?]>> = {
  ACL: [0, 0, 0],
  APPEND: [1, 1, 1],
  ASKING: [0, 0, 0],
  AUTH: [0, 0, 0],
  BGREWRITEAOF: [0, 0, 0],
  BGSAVE: [0, 0, 0],
  BITCOUNT: [1, 1, 1],
  BITFIELD: [1, 1, 1],
  BITFIELD_RO: [1, 1, 1],
  BITOP: [2, -1, 1],
  BITPOS: [1, 1, 1],
  BLMOVE: [1, 2, 1],
  BLMPOP: [0, 0, 0, true],
  BLPOP: [1, -2, 1],
  BRPOP: [1, -2, 1],
  BRPOPLPUSH: [1, 2, 1],
  BZMPOP: [0, 0, 0, true],
  BZPOPMAX: [1, -2, 1],
  BZPOPMIN: [1, -2, 1],
  CLIENT: [0, 0, 0],
  CLUSTER: [0, 0, 0],
  COMMAND: [0, 0, 0],
  CONFIG: [0, 0, 0],
  COPY: [1, 2, 1],
  DBSIZE: [0, 0, 0],
  DEBUG: [0, 0, 0],
  DECR: [1, 1, 1],
  DECRBY: [1, 1, 1],
  DEL: [1, -1, 1],
  DISCARD: [0, 0, 0],
  DUMP: [1, 1, 1],
  ECHO: [0, 0, 0],
  EVAL: [0, 0, 0, true],
  EVALSHA: [0, 0, 0, true],
  EVALSHA_RO: [0, 0, 0, true],
  EVAL_RO: [0, 0, 0, true],
  EXEC: [0, 0, 0],
  EXISTS: [1, -1, 1],
  EXPIRE: [1, 1, 1],
  EXPIREAT: [1, 1, 1],
  EXPIRETIME: [1, 1, 1],
  FAILOVER: [0, 0, 0],
  FCALL: [0, 0, 0, true],
  FCALL_RO: [0, 0, 0, true],
  FLUSHALL: [0, 0, 0],
  FLUSHDB: [0, 0, 0],
  FUNCTION: [0, 0, 0],
  GEOADD: [1, 1, 1],
  GEODIST: [1, 1, 1],
  GEOHASH: [1, 1, 1],
  GEOPOS: [1, 1, 1],
  GEORADIUS: [1, 1, 1, true],
  GEORADIUSBYMEMBER: [1, 1, 1, true],
  GEORADIUSBYMEMBER_RO: [1, 1, 1],
  GEORADIUS_RO: [1, 1, 1],
  GEOSEARCH: [1, 1, 1],
  GEOSEARCHSTORE: [1, 2, 1],
  GET: [1, 1, 1],
  GETBIT: [1, 1, 1],
  GETDEL: [1, 1, 1],
  GETEX: [1, 1, 1],
  GETRANGE: [1, 1, 1],
  GETSET: [1, 1, 1],
  HDEL: [1, 1, 1],
  HELLO: [0, 0, 0],
  HEXISTS: [1, 1, 1],
  HGET: [1, 1, 1],
  HGETALL: [1, 1, 1],
  HINCRBY: [1, 1, 1],
  HINCRBYFLOAT: [1, 1, 1],
  HKEYS: [1, 1, 1],
  HLEN: [1, 1, 1],
  HMGET: [1, 1, 1],
  HMSET: [1, 1, 1],
  HRANDFIELD: [1, 1, 1],
  HSCAN: [1, 1, 1],
  HSET: [1, 1, 1],
  HSETNX: [1, 1, 1],
  HSTRLEN: [1, 1, 1],
  HVALS: [1, 1, 1],
  INCR: [1, 1, 1],
  INCRBY: [1, 1, 1],
  INCRBYFLOAT: [1, 1, 1],
  INFO: [0, 0, 0],
  KEYS: [0, 0, 0],
  LASTSAVE: [0, 0, 0],
  LATENCY: [0, 0, 0],
  LCS: [1, 2, 1],
  LINDEX: [1, 1, 1],
  LINSERT: [1, 1, 1],
  LLEN: [1, 1, 1],
  LMOVE: [1, 2, 1],
  LMPOP: [0, 0, 0, true],
  LOLWUT: [0, 0, 0],
  LPOP: [1, 1, 1],
  LPOS: [1, 1, 1],
  LPUSH: [1, 1, 1],
  LPUSHX: [1, 1, 1],
  LRANGE: [1, 1, 1],
  LREM: [1, 1, 1],
  LSET: [1, 1, 1],
  LTRIM: [1, 1, 1],
  MEMORY: [0, 0, 0],
  MGET: [1, -1, 1],
  MIGRATE: [3, 3, 1, true],
  MODULE: [0, 0, 0],
  MONITOR: [0, 0, 0],
  MOVE: [1, 1, 1],
  MSET: [1, -1, 2],
  MSETNX: [1, -1, 2],
  MULTI: [0, 0, 0],
  OBJECT: [0, 0, 0],
  PERSIST: [1, 1, 1],
  PEXPIRE: [1, 1, 1],
  PEXPIREAT: [1, 1, 1],
  PEXPIRETIME: [1, 1, 1],
  PFADD: [1, 1, 1],
  PFCOUNT: [1, -1, 1],
  PFDEBUG: [2, 2, 1],
  PFMERGE: [1, -1, 1],
  PFSELFTEST: [0, 0, 0],
  PING: [0, 0, 0],
  PSETEX: [1, 1, 1],
  PSUBSCRIBE: [0, 0, 0],
  PSYNC: [0, 0, 0],
  PTTL: [1, 1, 1],
  PUBLISH: [0, 0, 0],
  PUBSUB: [0, 0, 0],
  PUNSUBSCRIBE: [0, 0, 0],
  QUIT: [0, 0, 0],
  RANDOMKEY: [0, 0, 0],
  READONLY: [0, 0, 0],
  READWRITE: [0, 0, 0],
  RENAME: [1, 2, 1],
  RENAMENX: [1, 2, 1],
  REPLCONF: [0, 0, 0],
  REPLICAOF: [0, 0, 0],
  RESET: [0, 0, 0],
  RESTORE: [1, 1, 1],
  'RESTORE-ASKING': [1, 1, 1],
  ROLE: [0, 0, 0],
  RPOP: [1, 1, 1],
  RPOPLPUSH: [1, 2, 1],
  RPUSH: [1, 1, 1],
  RPUSHX: [1, 1, 1],
  SADD: [1, 1, 1],
  SAVE: [0, 0, 0],
  SCAN: [0, 0, 0],
  SCARD: [1, 1, 1],
  SCRIPT: [0, 0, 0],
  SDIFF: [1, -1, 1],
  SDIFFSTORE: [1, -1, 1],
  SELECT: [0, 0, 0],
  SET: [1, 1, 1],
  SETBIT: [1, 1, 1],
  SETEX: [1, 1, 1],
  SETNX: [1, 1, 1],
  SETRANGE: [1, 1, 1],
  SHUTDOWN: [0, 0, 0],
  SINTER: [1, -1, 1],
  SINTERCARD: [0, 0, 0, true],
  SINTERSTORE: [1, -1, 1],
  SISMEMBER: [1, 1, 1],
  SLAVEOF: [0, 0, 0],
  SLOWLOG: [0, 0, 0],
  SMEMBERS: [1, 1, 1],
  SMISMEMBER: [1, 1, 1],
  SMOVE: [1, 2, 1],
  SORT: [1, 1, 1, true],
  SORT_RO: [1, 1, 1, true],
  SPOP: [1, 1, 1],
  SPUBLISH: [1, 1, 1],
  SRANDMEMBER: [1, 1, 1],
  SREM: [1, 1, 1],
  SSCAN: [1, 1, 1],
  SSUBSCRIBE: [1, -1, 1],
  STRLEN: [1, 1, 1],
  SUBSCRIBE: [0, 0, 0],
  SUBSTR: [1, 1, 1],
  SUNION: [1, -1, 1],
  SUNIONSTORE: [1, -1, 1],
  SUNSUBSCRIBE: [1, -1, 1],
  SWAPDB: [0, 0, 0],
  SYNC: [0, 0, 0],
  TIME: [0, 0, 0],
  TOUCH: [1, -1, 1],
  TTL: [1, 1, 1],
  TYPE: [1, 1, 1],
  UNLINK: [1, -1, 1],
  UNSUBSCRIBE: [0, 0, 0],
  UNWATCH: [0, 0, 0],
  WAIT: [0, 0, 0],
  WATCH: [1, -1, 1],
  XACK: [1, 1, 1],
  XADD: [1, 1, 1],
  XAUTOCLAIM: [1, 1, 1],
  XCLAIM: [1, 1, 1],
  XDEL: [1, 1, 1],
  XGROUP: [0, 0, 0],
  XINFO: [0, 0, 0],
  XLEN: [1, 1, 1],
  XPENDING: [1, 1, 1],
  XRANGE: [1, 1, 1],
  XREAD: [0, 0, 0, true],
  XREADGROUP: [0, 0, 0, true],
  XREVRANGE: [1, 1, 1],
  XSETID: [1, 1, 1],
  XTRIM: [1, 1, 1],
  ZADD: [1, 1, 1],
  ZCARD: [1, 1, 1],
  ZCOUNT: [1, 1, 1],
  ZDIFF: [0, 0, 0, true],
  ZDIFFSTORE: [1, 1, 1, true],
  ZINCRBY: [1, 1, 1],
  ZINTER: [0, 0, 0, true],
  ZINTERCARD: [0, 0, 0, true],
  ZINTERSTORE: [1, 1, 1, true],
  ZLEXCOUNT: [1, 1, 1],
  ZMPOP: [0, 0, 0, true],
  ZMSCORE: [1, 1, 1],
  ZPOPMAX: [1, 1, 1],
  ZPOPMIN: [1, 1, 1],
  ZRANDMEMBER: [1, 1, 1],
  ZRANGE: [1, 1, 1],
  ZRANGEBYLEX: [1, 1, 1],
  ZRANGEBYSCORE: [1, 1, 1],
  ZRANGESTORE: [1, 2, 1],
  ZRANK: [1, 1, 1],
  ZREM: [1, 1, 1],
  ZREMRANGEBYLEX: [1, 1, 1],
  ZREMRANGEBYRANK: [1, 1, 1],
  ZREMRANGEBYSCORE: [1, 1, 1],
  ZREVRANGE: [1, 1, 1],
  ZREVRANGEBYLEX: [1, 1, 1],
  ZREVRANGEBYSCORE: [1, 1, 1],
  ZREVRANK: [1, 1, 1],
  ZSCAN: [1, 1, 1],
  ZSCORE: [1, 1, 1],
  ZUNION: [0, 0, 0, true],
  ZUNIONSTORE: [1, 1, 1, true],
}

/** Commands added after 7.0 that the guard classifies too (7.2 WAITAOF, 7.4 hash-field TTLs, 8.0). */
export const LATER_COMMANDS: readonly string[] = [
  'WAITAOF',
  'HEXPIRE',
  'HEXPIREAT',
  'HEXPIRETIME',
  'HPERSIST',
  'HPEXPIRE',
  'HPEXPIREAT',
  'HPEXPIRETIME',
  'HPTTL',
  'HTTL',
  'HGETDEL',
  'HGETEX',
  'HSETEX',
]

const CONTAINERS_WITH_KEY: Readonly<Record<string, readonly string[]>> = {
  OBJECT: ['ENCODING', 'FREQ', 'IDLETIME', 'REFCOUNT'],
  MEMORY: ['USAGE'],
  XINFO: ['STREAM', 'CONSUMERS', 'GROUPS'],
  XGROUP: ['CREATE', 'CREATECONSUMER', 'DELCONSUMER', 'DESTROY', 'SETID'],
}

const text = (arg: GuardCommand[number] | undefined): string =>
  arg === undefined
    ? ''
    : typeof arg === 'string'
      ? arg
      : typeof arg === 'number'
        ? String(arg)
        : Buffer.from(arg).toString()

function counted(command: GuardCommand, at: number): string[] {
  const n = Number(text(command[at]))
  return Number.isInteger(n) && n > 0 ? command.slice(at + 1, at + 1 + n).map(text) : []
}

function storeKey(command: GuardCommand, from: number): string[] {
  for (let i = from; i < command.length - 1; i++) {
    if (/^STORE(DIST)?$/i.test(text(command[i]))) return [text(command[i + 1])]
  }
  return []
}

/** The keys of a command line, as the server's COMMAND table would give them. */
export function testKeysOf(command: GuardCommand): string[] {
  const name = text(command[0]).toUpperCase()
  const sub = text(command[1]).toUpperCase()
  if (CONTAINERS_WITH_KEY[name]?.includes(sub)) return command[2] === undefined ? [] : [text(command[2])]
  switch (name) {
    case 'EVAL':
    case 'EVALSHA':
    case 'EVAL_RO':
    case 'EVALSHA_RO':
    case 'FCALL':
    case 'FCALL_RO':
    case 'BLMPOP':
    case 'BZMPOP':
      return counted(command, 2)
    case 'ZUNION':
    case 'ZINTER':
    case 'ZDIFF':
    case 'ZINTERCARD':
    case 'SINTERCARD':
    case 'LMPOP':
    case 'ZMPOP':
      return counted(command, 1)
    case 'ZUNIONSTORE':
    case 'ZINTERSTORE':
    case 'ZDIFFSTORE':
      return [text(command[1]), ...counted(command, 2)]
    case 'XREAD':
    case 'XREADGROUP': {
      const at = command.findIndex((a) => text(a).toUpperCase() === 'STREAMS')
      if (at < 0) return []
      const rest = command.slice(at + 1).map(text)
      return rest.slice(0, Math.floor(rest.length / 2))
    }
    case 'SORT':
    case 'SORT_RO':
      return [text(command[1]), ...storeKey(command, 2)]
    case 'GEORADIUS':
    case 'GEORADIUSBYMEMBER':
      return [text(command[1]), ...storeKey(command, 2)]
    case 'MIGRATE': {
      const at = command.findIndex((a, i) => i > 5 && text(a).toUpperCase() === 'KEYS')
      if (at > 0) return command.slice(at + 1).map(text)
      return text(command[3]) === '' ? [] : [text(command[3])]
    }
  }
  const spec = REDIS_7_COMMANDS[name]
  const later = LATER_COMMANDS.includes(name) && name !== 'WAITAOF'
  if (!spec && !later) return []
  const [first, last, step] = spec ?? [1, 1, 1]
  if (first <= 0) return []
  const end = last < 0 ? command.length + last : last
  const keys: string[] = []
  for (let i = first; i <= end && i < command.length; i += step) keys.push(text(command[i]))
  return keys
}

/** A declaration with the defaults of an undeclared-but-declared cache entry, overridden by `over`. */
export function policy(over: Partial<KeyPolicy> = {}): KeyPolicy {
  return { entry: 'test', persistent: false, maxItems: undefined, sourceOfTruth: false, ...over }
}

export interface TestContextOptions {
  /** Declarations by key; `'*'` applies to every key not listed. */
  readonly declared?: Readonly<Record<string, Partial<KeyPolicy>>>
  readonly durabilityOk?: boolean
  readonly maxRange?: number
  readonly isWrite?: (command: GuardCommand) => boolean
}

export function testContext(options: TestContextOptions = {}): GuardContext {
  const declared = options.declared ?? {}
  return {
    maxRange: options.maxRange,
    keysOf: testKeysOf,
    declarationOf: (key) => {
      const over = declared[key] ?? declared['*']
      return over ? policy(over) : undefined
    },
    durabilityOk: options.durabilityOk ?? true,
    ...(options.isWrite ? { isWrite: options.isWrite } : {}),
  }
}
