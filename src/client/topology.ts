import type { Reply } from '../common/types.js'
import type { RedisExpertError } from '../errors.js'
import type { Connection } from './connection.js'
import type { Endpoint } from './endpoint.js'

/**
 * What the client needs of a deployment, whatever its shape: standalone (standalone.ts),
 * Cluster (cluster.ts) or Sentinel (sentinel.ts). Every implementation sends through
 * Connections (connection.ts), so deadlines, typed errors and secrets behave the same
 * everywhere. Replies and failures are already typed (RedisExpertError) when they come out.
 */
export interface Topology {
  readonly kind: 'standalone' | 'cluster' | 'sentinel'
  readonly ready: boolean
  /** The first connection(s), within connectTimeoutMs; CONNECTION_FAILED otherwise. */
  connect(): Promise<void>
  /** One command; `key` routes it on a Cluster, `readonly` may send it to a replica. */
  send(
    args: readonly (string | Buffer)[],
    key: string | Buffer | undefined,
    readonly: boolean,
    buffers: boolean,
    timeoutMs: number,
  ): Promise<Reply>
  /**
   * MULTI/EXEC for commands that share one slot: EXEC's replies, errors in place; a command
   * refused while queueing rejects with its own error.
   */
  transaction(
    commands: readonly (readonly (string | Buffer)[])[],
    key: string | Buffer | undefined,
    buffers: boolean,
    timeoutMs: number,
  ): Promise<Reply[]>
  /** Waits up to `ms` for the deployment to be usable; false when it is not. */
  waitReady(ms: number): Promise<boolean>
  /** One sender per master, for commands that must reach every master (probe, SCAN, audit). */
  masters(): Promise<NodeSender[]>
  /**
   * Runs `fn` on a connection nobody else uses meanwhile (WATCH, blocking commands), to the
   * server — on a Cluster, to the master that owns `key`'s slot. `reset` runs before the
   * connection is reused (UNWATCH).
   */
  dedicated<T>(
    key: string | Buffer | undefined,
    fn: (connection: Connection) => Promise<T>,
    reset?: readonly string[],
  ): Promise<T>
  /** A node to subscribe on (classic pub/sub reaches every node): `attempt` moves on after failures. */
  locateNode(attempt: number): Endpoint | Promise<Endpoint>
  /**
   * Cluster only: the master that owns `slot`, for sharded pub/sub (SSUBSCRIBE); `refresh`
   * reloads the slot map first. Elsewhere sharded channels live on the one server.
   */
  endpointForSlot?(slot: number, refresh?: boolean): Promise<Endpoint | undefined>
  /** Closes every connection; commands in flight get closeTimeoutMs. Always settles. */
  close(): Promise<void>
  onStateChange(listener: (state: 'ready' | 'disconnected', error?: RedisExpertError) => void): void
}

/** One server of the deployment, addressed directly (no routing). */
export interface NodeSender {
  readonly address: string
  send(args: readonly (string | Buffer)[], buffers: boolean, timeoutMs: number): Promise<Reply>
  transaction(
    commands: readonly (readonly (string | Buffer)[])[],
    buffers: boolean,
    timeoutMs: number,
  ): Promise<Reply[]>
}
