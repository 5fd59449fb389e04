import { Pipeline } from './atomic/pipeline.js'
import { runWatch, type Transaction, type WatchOptions } from './atomic/watch.js'
import { Client } from './client/client.js'
import { openClient } from './client/connect.js'
import { type ConnectOptions, resolveOptions } from './client/options.js'
import type { EntryDeclarations, Keyspace } from './keyspace/define.js'
import { type BindOptions, type BoundKeyspace, bindKeyspace } from './ops/bind.js'

/**
 * The front door: the connected client (client/) with what the layers above it build on its
 * primitives — pipelines, MULTI/EXEC and WATCH transactions (atomic/), and a keyspace's typed
 * operations (ops/). The client itself knows none of them, so layers only ever import downward.
 */
export class RedisExpertClient extends Client {
  /** Commands sent together in one round trip (one per master on a Cluster); see Pipeline. */
  pipeline(): Pipeline {
    return new Pipeline(this, false)
  }

  /** A MULTI/EXEC transaction: all or nothing, one round trip, every key in one slot. */
  multi(): Pipeline {
    return new Pipeline(this, true)
  }

  /**
   * An optimistic transaction: WATCH `keys`, run `fn` (its reads see current values; its
   * `tx.queue(...)` writes go into one MULTI/EXEC), retried with jittered backoff when a
   * watched key changes, TX_CONFLICT after the last attempt. Keys share one slot on a Cluster.
   * Runs on a dedicated connection (WATCH is per connection), returned to a pool after UNWATCH.
   */
  watch<T>(keys: readonly string[], fn: (tx: Transaction) => Promise<T>, options?: WatchOptions): Promise<T> {
    return runWatch(this, keys, fn, options)
  }

  /**
   * The typed operations of a keyspace on this connection: `db.keyspace(shop).user({ id }).hget('name')`.
   * Every write carries the entry's TTL in the same round trip.
   */
  keyspace<E extends EntryDeclarations>(
    keyspace: Keyspace<string, E>,
    options?: BindOptions,
  ): BoundKeyspace<E> {
    return bindKeyspace(this, keyspace, options)
  }
}

/**
 * Connects to a standalone server (`url`), a Cluster (`cluster.rootNodes`) or a
 * Sentinel-managed master (`sentinel`). Resolves once connected; fails within
 * `connectTimeoutMs` with CONNECTION_FAILED (password redacted) otherwise.
 */
export async function connect(options: ConnectOptions = {}): Promise<RedisExpertClient> {
  return openClient(
    resolveOptions(options),
    (topology, resolved, commands, open) => new RedisExpertClient(topology, resolved, commands, open),
  )
}
