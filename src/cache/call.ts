import type { Stored } from './envelope.js'
import type { CallPolicy } from './options.js'
import type { Loader } from './types.js'

/**
 * One getOrSet, resolved once by the facade: the key, what the loader is called with, the
 * policy (the cache's defaults unless the call overrides them) and how to answer. Every step
 * of the protocol (single flight, lease, load, commit, refresh, outage) reads it from here.
 */
export interface CacheCall<P, V> {
  readonly key: string
  readonly params: P
  readonly loader: Loader<P, V>
  readonly policy: CallPolicy
  /** Answer `{ value, meta }` instead of the value. */
  readonly meta: boolean
}

/**
 * What a caller holds when it starts a load: the lease token ('' when it loads without the
 * lease, after its wait ran out), the generation the load started from (the commit writes
 * only if it is still current), the tag stamp the value will carry, the stale value to fall
 * back on, and whether the caller waited for another process first.
 */
export interface LoadGrant<V> {
  readonly token: string
  readonly generation: string
  readonly stamp: string
  readonly stale: Stored<V> | null
  readonly waited: boolean
}

/** One value to write (set, setMany, writeThrough); `keepTags`: the stored entry's tags go with it. */
export interface WriteCall<V> {
  readonly key: string
  readonly value: V
  readonly policy: CallPolicy
  readonly keepTags: boolean
}
