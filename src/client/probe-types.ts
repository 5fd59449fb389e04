import type { ListpackLimits } from '../keyspace/encoding.js'

/** A server's persistence settings, as the durability check reads them. */
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
  /**
   * Loaded modules (`ft` for RediSearch 1.x, `search` for 2.x): from MODULE LIST, with the file
   * each was loaded from; from INFO's modules section, without it, where MODULE LIST is refused.
   */
  readonly modules: readonly { readonly name: string; readonly version: number; readonly path?: string }[]
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

/** A server's replication role and state, as the probe reads them. */
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
