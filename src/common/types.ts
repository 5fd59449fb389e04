import type { GuardCode, Violation } from '../guard/types.js'
import type { EntryDeclarations, Keyspace } from '../keyspace/define.js'

/** An argument as sent on the wire. Numbers are formatted in decimal. */
export type RedisArg = string | Buffer | number

/** One command: its name, then its arguments, e.g. `['SET', key, value, 'PX', 1000]`. */
export type Command = readonly RedisArg[]

/**
 * A reply as the driver decodes it (RESP2): simple and bulk strings as `string`
 * (or `Buffer` with `{ buffers: true }`), integers as `number` — or `bigint` outside the safe
 * integer range (±2^53), never rounded —, nil as `null`, arrays as arrays.
 */
export type Reply = string | number | bigint | null | Buffer | Reply[]

export interface CallOptions {
  /** Overrides the client's command timeout for this call (e.g. a blocking command's wait plus margin). */
  readonly timeoutMs?: number
  /** Return bulk strings as Buffers (binary codecs). */
  readonly buffers?: boolean
  /** Hard stops this one call knowingly accepts, e.g. `['GUARD_UNBOUNDED']`; reported as allowed. */
  readonly allow?: readonly GuardCode[]
  /**
   * Wait until this many replicas have the write (`WAIT` in the same round trip, on a
   * dedicated connection); fails with NOT_REPLICATED when fewer acknowledge within
   * `replicaTimeoutMs`. An acknowledged write survives a failover when this counts every
   * replica; with fewer, the replica that acknowledged may not be the one promoted.
   */
  readonly waitReplicas?: number
  /** How long WAIT waits for the replicas, default 1000 ms. */
  readonly replicaTimeoutMs?: number
}

export interface BatchOptions {
  /** Wrap the batch in MULTI/EXEC. All keys must share one slot. */
  readonly atomic?: boolean
  readonly buffers?: boolean
  readonly timeoutMs?: number
  readonly allow?: readonly GuardCode[]
  /** As in CallOptions: the batch's writes are confirmed on this many replicas. */
  readonly waitReplicas?: number
  readonly replicaTimeoutMs?: number
}

export const CALL_OPTIONS: ReadonlySet<string> = new Set([
  'timeoutMs',
  'buffers',
  'allow',
  'waitReplicas',
  'replicaTimeoutMs',
])
export const BATCH_OPTIONS: ReadonlySet<string> = new Set([...CALL_OPTIONS, 'atomic'])

/**
 * The execution edge every feature talks through. The connected client implements it;
 * nothing above `client/` reaches the driver directly.
 */
export interface Executor {
  /** One command, one round trip. */
  call<T extends Reply = Reply>(command: Command, options?: CallOptions): Promise<T>
  /**
   * Several commands in one round trip (pipelined; with `atomic`, inside MULTI/EXEC).
   * Resolves to one reply per command, in order; rejects with the first error reply.
   * On a Cluster every command of one batch must address the same slot.
   */
  batch(commands: readonly Command[], options?: BatchOptions): Promise<Reply[]>
  /** Makes a keyspace's declarations known to the executor's guard (bounds, TTL policy, durability). */
  declare?<E extends EntryDeclarations>(keyspace: Keyspace<string, E>): void
  /**
   * A whole read returned more items than the key's declared `maxItems`: the guard's mode decides
   * (strict throws GUARD_UNBOUNDED, warn emits a `violation` event); counted in stats().guard.exceeded.
   */
  boundExceeded?(violation: Violation): void
}

/** The encodings thresholds Redis uses to keep small collections compact (listpack / intset). */
export interface ListpackLimits {
  /** hash-max-listpack-entries (default 512) */
  readonly hashEntries: number
  /** hash-max-listpack-value, bytes (default 64) */
  readonly hashValue: number
  /** zset-max-listpack-entries (default 128) */
  readonly zsetEntries: number
  /** zset-max-listpack-value, bytes (default 64) */
  readonly zsetValue: number
  /** set-max-intset-entries (default 512) */
  readonly setIntsetEntries: number
  /** set-max-listpack-entries (7.2+, default 128); null before 7.2, where sets are intset or hashtable only */
  readonly setEntries: number | null
  /** set-max-listpack-value (7.2+, default 64) */
  readonly setValue: number | null
  /** list-max-listpack-size (default -2: 8 KiB per node) */
  readonly listSize: number
}

/**
 * The servers' own defaults, used offline (no --url): what CONFIG GET answers on a bare
 * redis-server 7.0.15 and valkey-server 8.0.1 (test/client/listpack-defaults.test.ts starts both
 * and compares). set-max-listpack-* exist from Redis 7.2 and in Valkey; a 7.0 server has no
 * listpack sets (the probe then reports null).
 */
export const DEFAULT_LISTPACK_LIMITS: ListpackLimits = {
  hashEntries: 512,
  hashValue: 64,
  zsetEntries: 128,
  zsetValue: 64,
  setIntsetEntries: 512,
  setEntries: 128,
  setValue: 64,
  listSize: -2,
}

export interface PersistenceInfo {
  readonly aof: boolean
  readonly appendfsync: 'always' | 'everysec' | 'no' | null
  /** RDB save rules as `[seconds, changes]` pairs; empty when RDB snapshots are off. */
  readonly rdbSaveRules: readonly (readonly [number, number])[]
  readonly lastBgsaveOk: boolean | null
}

/** What one server (a standalone server or one Cluster master) is and how it is configured. */
export interface NodeProbe {
  readonly address: string
  /** The server software: Redis, or Valkey (the Linux Foundation fork of Redis 7.2). */
  readonly server: 'redis' | 'valkey'
  /** The server's own version: `redis_version`, or on Valkey `valkey_version` (its `redis_version` stays 7.2.4). */
  readonly version: string
  readonly modules: readonly { readonly name: string; readonly version: number }[]
  readonly persistence: PersistenceInfo
  /** Bytes; 0 means no limit. */
  readonly maxmemory: number
  readonly maxmemoryPolicy: string
  readonly listpack: ListpackLimits
  /** False when CONFIG GET was refused (ACL) or renamed: the values then come from INFO, and listpack limits are the defaults. */
  readonly configReadable: boolean
  /**
   * False when INFO was refused (an ACL user without +info) or renamed: version, memory,
   * replication and persistence status are then unknown (from CONFIG where it is readable).
   */
  readonly infoReadable: boolean
  /** Role, replicas, and whether writes wait for replicas (min-replicas-to-write): what decides if a failover can lose acknowledged writes. */
  readonly replication: ReplicationInfo
}

export interface ReplicationInfo {
  readonly role: 'master' | 'replica'
  /** INFO replication `connected_slaves`. */
  readonly connectedReplicas: number
  /** `min-replicas-to-write`; null where CONFIG is refused (see `writesNeedReplicas`). */
  readonly minReplicasToWrite: number | null
  /** `min-replicas-max-lag`, seconds; null where CONFIG is refused. */
  readonly minReplicasMaxLag: number | null
  /**
   * The master refuses writes (NOREPLICAS) unless at least one replica is connected and has
   * acknowledged within the max lag: both settings are ≥ 1. Where CONFIG is refused, read from
   * INFO, which shows `min_slaves_good_slaves` exactly when the rule is in force.
   */
  readonly writesNeedReplicas: boolean
}

export interface ServerProbe extends NodeProbe {
  readonly mode: 'standalone' | 'cluster'
  /** One entry per master (a single one on a standalone server). */
  readonly masters: readonly NodeProbe[]
}
