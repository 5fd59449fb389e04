import { type EntryPolicy, operationsFor } from '../../keyspace/index.js'

/**
 * The commands and the key permission one entry needs for an access mode, from its declared
 * operations (src/keyspace/operations.ts) — what TypeScript and the generated Python send.
 *
 * Facts behind the table (Redis 7.0, checked with ACL DRYRUN by test/report/acl/):
 * - `%W~` is enough for the blind writes below; a script's keys (EVALSHA/EVAL) need read and write
 *   (`~`), whatever the script does — so the typed write of an entry with a TTL (write.lua) needs `~`.
 * - A sliding entry's read sends PEXPIRE: a write.
 * - Whole-collection reads an unbounded entry refuses (HGETALL, SMEMBERS) are not granted at all:
 *   the server then refuses them too.
 */
export type AccessMode = 'read' | 'write' | 'readwrite'
/** `~` read and write, `%R~` read only, `%W~` write only. */
export type KeyPermission = '~' | '%R~' | '%W~'

export interface EntryGrant {
  readonly commands: readonly string[]
  readonly permission: KeyPermission
  readonly notes: readonly string[]
}

const READS = new Set([
  'GET',
  'HGET',
  'HMGET',
  'HEXISTS',
  'HLEN',
  'HGETALL',
  'HSCAN',
  'LRANGE',
  'LLEN',
  'SISMEMBER',
  'SCARD',
  'SMEMBERS',
  'SSCAN',
  'ZSCORE',
  'ZRANK',
  'ZRANGE',
  'ZRANGEBYSCORE',
  'ZCARD',
  'ZSCAN',
  'XLEN',
  'XRANGE',
  'PFCOUNT',
  'GETBIT',
  'BITCOUNT',
  'EXISTS',
  'PTTL',
])

/** Writes `%W~` allows (their key specs do not read the key). */
const BLIND_WRITES = new Set([
  'SET',
  'PEXPIRE',
  'UNLINK',
  'HSET',
  'HDEL',
  'RPUSH',
  'LPUSH',
  'LTRIM',
  'SADD',
  'SREM',
  'ZADD',
  'ZREM',
  'XADD',
  'PFADD',
])

/** Commands an operation may send besides the one operations.ts names (its reverse forms). */
const VARIANTS: Readonly<Record<string, readonly string[]>> = {
  ZRANK: ['ZREVRANK'],
  ZRANGE: ['ZREVRANGE'],
  ZRANGEBYSCORE: ['ZREVRANGEBYSCORE'],
  XRANGE: ['XREVRANGE'],
  // NOSCRIPT: TypeScript resends the script with EVAL, redis-py's register_script loads it.
  EVALSHA: ['EVAL'],
}
/** Operations that return what they remove: granted with readwrite only. */
const CONSUME = new Set(['pop', 'shift'])
/** Keyless: the key patterns do not apply to them. */
const KEYLESS = new Set(['MULTI', 'EXEC', 'EVALSHA', 'EVAL', 'WAIT'])

export function entryGrant(policy: EntryPolicy, mode: AccessMode): EntryGrant {
  const notes: string[] = []
  const commands = new Set<string>()
  let reads = false
  let writes = false
  let script = false
  for (const plan of operationsFor(policy)) {
    if (plan.status === 'refused') continue
    const isRead = plan.commands.every((c) => READS.has(c) || c === 'PEXPIRE')
    if (isRead ? mode === 'write' : mode === 'read') continue
    // pop and shift return what they remove: consuming is reading and writing.
    if (CONSUME.has(plan.op) && mode !== 'readwrite') continue
    for (const command of plan.commands) {
      for (const name of [command, ...(VARIANTS[command] ?? [])]) commands.add(name)
      if (command === 'EVALSHA') script = true
      if (READS.has(command)) reads = true
      else if (!KEYLESS.has(command)) writes = true
    }
  }
  // The generated Python's typed pipeline sends its writes in MULTI/EXEC.
  if (writes) for (const name of ['MULTI', 'EXEC']) commands.add(name)
  if (policy.replicas !== null && writes) commands.add('WAIT')
  if (mode === 'read' && policy.sliding)
    notes.push('sliding: every read sends PEXPIRE, a write, so reads need write access to the key')
  let permission: KeyPermission
  if (reads && !writes) permission = '%R~'
  else if (!reads && writes && !script && [...commands].every((c) => BLIND_WRITES.has(c) || KEYLESS.has(c)))
    permission = '%W~'
  else permission = '~'
  if (mode === 'write' && permission === '~' && script)
    notes.push(
      'its writes are one script (the write, then PEXPIRE): Redis counts a script’s keys as read and written, so write-only access is ~, not %W~',
    )
  return { commands: [...commands].sort(), permission, notes }
}

/** Commands every application user of the TypeScript client needs, and why. */
export const CLIENT_COMMANDS: Readonly<Record<string, string>> = {
  PING: 'the connection’s readiness check',
  'CLIENT|SETNAME': 'the connection names itself',
  SELECT: 'a database other than 0 in the URL',
  COMMAND: 'key positions for the guard and Cluster routing, from the server’s own table',
  INFO: 'probe() and the durability check at connect (INFO persistence, replication); INFO is in @dangerous for the statistics it shows — it changes nothing',
}

/** What `redis-expert audit` sends (audit/connection.ts's allowlist, and its server facts). */
export const AUDITOR_COMMANDS: Readonly<Record<string, string>> = {
  SCAN: 'the key scan (always with COUNT); it returns every key name',
  TYPE: 'each key’s type',
  PTTL: 'each key’s TTL',
  'MEMORY|USAGE': 'each key’s size',
  'OBJECT|ENCODING': 'each key’s encoding',
  STRLEN: 'lengths',
  HLEN: 'lengths',
  LLEN: 'lengths',
  SCARD: 'lengths',
  ZCARD: 'lengths',
  XLEN: 'lengths',
  EVALSHA_RO: 'its read-only inspection script (one round trip per batch of keys)',
  EVAL_RO: 'the same script on a cold script cache',
  INFO: 'server facts (persistence, memory, clients)',
  DBSIZE: 'the key count',
  'SLOWLOG|GET': 'the slowlog rule',
  'CLIENT|INFO': 'the database it is connected to',
  'SCRIPT|EXISTS': 'which declared scripts are cached, so that lua-scripts leaves them out',
  PING: 'the connection’s readiness check',
  COMMAND: 'key positions, from the server’s own table',
}

/** Optional auditor commands: they show secrets, so they are granted only when asked for. */
export const AUDITOR_OPTIONAL: Readonly<Record<'config' | 'acl', Readonly<Record<string, string>>>> = {
  config: {
    'CONFIG|GET':
      'the persistence and eviction rules read the configuration; CONFIG GET also returns requirepass and masterauth',
  },
  acl: {
    'ACL|LIST': 'the security rule compares the users; ACL LIST shows password hashes',
    'ACL|DRYRUN': 'the security rule asks whether each user may run KEYS and FLUSHALL',
  },
}
