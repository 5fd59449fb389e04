import type { Reply } from '../common/types.js'
import { DEFAULT_LISTPACK_LIMITS, type ListpackLimits } from '../keyspace/encoding.js'
import type { NodeProbe, PersistenceInfo, ReplicationInfo } from './probe-types.js'

/** Parses an INFO reply into field → value. */
export function parseInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>()
  for (const line of text.split(/\r?\n/)) {
    if (!line || line.startsWith('#')) continue
    const at = line.indexOf(':')
    if (at > 0) fields.set(line.slice(0, at), line.slice(at + 1))
  }
  return fields
}

/** Parses a `CONFIG GET` reply (flat name/value list in RESP2). */
export function parseConfig(reply: Reply): Map<string, string> {
  const config = new Map<string, string>()
  if (!Array.isArray(reply)) return config
  for (let i = 0; i + 1 < reply.length; i += 2) config.set(String(reply[i]), String(reply[i + 1]))
  return config
}

/** `save "3600 1 300 100"` → [[3600, 1], [300, 100]]. */
export function parseSaveRules(save: string): [number, number][] {
  const numbers = save.trim().split(/\s+/).filter(Boolean).map(Number)
  const rules: [number, number][] = []
  for (let i = 0; i + 1 < numbers.length; i += 2) rules.push([numbers[i] as number, numbers[i + 1] as number])
  return rules
}

/** `module:name=search,ver=20804,...` lines of INFO modules. */
export function parseModules(info: Map<string, string>): { name: string; version: number }[] {
  const modules: { name: string; version: number }[] = []
  for (const [field, value] of info) {
    if (!field.startsWith('module')) continue
    const parts = new Map(value.split(',').map((kv) => kv.split('=') as [string, string]))
    const name = parts.get('name')
    if (name) modules.push({ name, version: Number(parts.get('ver') ?? 0) })
  }
  return modules
}

/**
 * A `MODULE LIST` reply (RESP2: one flat `name, ft, ver, 10200, path, /…/redisearch.so, args, […]`
 * array per module) → name, version and the file it was loaded from; null for anything else.
 */
export function parseModuleList(reply: Reply): { name: string; version: number; path?: string }[] | null {
  if (!Array.isArray(reply)) return null
  const modules: { name: string; version: number; path?: string }[] = []
  for (const entry of reply) {
    if (!Array.isArray(entry)) return null
    const fields = new Map<string, Reply>()
    for (let i = 0; i + 1 < entry.length; i += 2) fields.set(String(entry[i]), entry[i + 1] as Reply)
    const name = fields.get('name')
    if (name === undefined || name === null) return null
    const path = fields.get('path')
    modules.push({
      name: String(name),
      version: Number(fields.get('ver') ?? 0),
      ...(typeof path === 'string' || Buffer.isBuffer(path) ? { path: String(path) } : {}),
    })
  }
  return modules
}

/** Reads a limit under its Redis 7 name, falling back to the Redis 6 (ziplist) name. */
function limit(config: Map<string, string>, name: string, legacy: string | null, fallback: number): number {
  const value = config.get(name) ?? (legacy ? config.get(legacy) : undefined)
  const parsed = value === undefined ? Number.NaN : Number(value)
  return Number.isFinite(parsed) ? parsed : fallback
}

export function listpackLimits(config: Map<string, string>): ListpackLimits {
  const d = DEFAULT_LISTPACK_LIMITS
  const hasSetListpack = config.has('set-max-listpack-entries')
  return {
    hashEntries: limit(config, 'hash-max-listpack-entries', 'hash-max-ziplist-entries', d.hashEntries),
    hashValue: limit(config, 'hash-max-listpack-value', 'hash-max-ziplist-value', d.hashValue),
    zsetEntries: limit(config, 'zset-max-listpack-entries', 'zset-max-ziplist-entries', d.zsetEntries),
    zsetValue: limit(config, 'zset-max-listpack-value', 'zset-max-ziplist-value', d.zsetValue),
    setIntsetEntries: limit(config, 'set-max-intset-entries', null, d.setIntsetEntries),
    setEntries: hasSetListpack ? limit(config, 'set-max-listpack-entries', null, 128) : null,
    setValue: hasSetListpack ? limit(config, 'set-max-listpack-value', null, 64) : null,
    listSize: limit(config, 'list-max-listpack-size', 'list-max-ziplist-size', d.listSize),
  }
}

export interface ProbeReplies {
  /** The INFO reply, or null when INFO was refused (ACL) or renamed. */
  readonly info: string | null
  /** The CONFIG GET reply, or null when CONFIG was refused or renamed. */
  readonly config: Reply | null
  /**
   * The MODULE LIST reply, or null (or absent) when it was refused (ACL: MODULE is `@admin`) or
   * renamed: the modules then come from INFO's modules section, without their paths.
   */
  readonly modules?: Reply | null
}

/**
 * Which server answers, and its own version. Valkey keeps `redis_version:7.2.4` (the Redis
 * release it forked from, for clients that gate features on it) and reports itself with
 * `server_name:valkey` and `valkey_version`.
 */
export function serverIdentity(info: Map<string, string>): Pick<NodeProbe, 'server' | 'version'> {
  if (info.get('server_name') === 'valkey' || info.has('valkey_version'))
    return { server: 'valkey', version: info.get('valkey_version') ?? info.get('redis_version') ?? 'unknown' }
  return { server: 'redis', version: info.get('redis_version') ?? 'unknown' }
}

/** Builds a node's probe from its INFO and (when readable) CONFIG GET replies. Pure. */
export function buildNodeProbe(address: string, replies: ProbeReplies): NodeProbe {
  const info = parseInfo(replies.info ?? '')
  const config = replies.config === null ? null : parseConfig(replies.config)
  const fsync = config?.get('appendfsync')
  const persistence: PersistenceInfo = {
    aof: config ? config.get('appendonly') === 'yes' : info.get('aof_enabled') === '1',
    appendfsync: fsync === 'always' || fsync === 'everysec' || fsync === 'no' ? fsync : null,
    rdbSaveRules: config ? parseSaveRules(config.get('save') ?? '') : [],
    lastBgsaveOk: info.has('rdb_last_bgsave_status') ? info.get('rdb_last_bgsave_status') === 'ok' : null,
  }
  return {
    address,
    ...serverIdentity(info),
    modules: parseModuleList(replies.modules ?? null) ?? parseModules(info),
    persistence,
    maxmemory: Number(config?.get('maxmemory') ?? info.get('maxmemory') ?? 0),
    maxmemoryPolicy: config?.get('maxmemory-policy') ?? info.get('maxmemory_policy') ?? 'unknown',
    listpack: config ? listpackLimits(config) : DEFAULT_LISTPACK_LIMITS,
    configReadable: config !== null,
    infoReadable: replies.info !== null,
    replication: replicationInfo(info, config),
  }
}

/** Role, connected replicas and the min-replicas rule, from CONFIG GET where readable, else INFO. Pure. */
export function replicationInfo(
  info: Map<string, string>,
  config: Map<string, string> | null,
): ReplicationInfo {
  const count = (value: string | undefined): number | null => {
    const n = value === undefined ? Number.NaN : Number(value)
    return Number.isFinite(n) ? n : null
  }
  const toWrite = config
    ? count(config.get('min-replicas-to-write') ?? config.get('min-slaves-to-write'))
    : null
  const maxLag = config ? count(config.get('min-replicas-max-lag') ?? config.get('min-slaves-max-lag')) : null
  return {
    role: info.get('role') === 'slave' ? 'replica' : 'master',
    connectedReplicas: count(info.get('connected_slaves')) ?? 0,
    minReplicasToWrite: toWrite,
    minReplicasMaxLag: maxLag,
    writesNeedReplicas:
      config && toWrite !== null && maxLag !== null
        ? toWrite >= 1 && maxLag >= 1
        : info.has('min_slaves_good_slaves'),
  }
}
