import type { GuardCode } from '../errors.js'

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

/** Per-call options of `db.call`: timeout, Buffers, accepted guard codes, replication wait. */
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

/** Options of `db.batch`: those of `db.call` and whether the batch is a MULTI/EXEC. */
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

/** The option names `db.call` accepts, to refuse any other (the hot path checks against this set). */
export const CALL_OPTIONS: ReadonlySet<string> = new Set([
  'timeoutMs',
  'buffers',
  'allow',
  'waitReplicas',
  'replicaTimeoutMs',
])
/** The option names `db.batch` accepts (those of `db.call` and `atomic`), to refuse any other. */
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
}
