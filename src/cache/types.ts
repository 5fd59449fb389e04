import type { TtlSpec } from '../common/ttl.js'
import type { EntryDeclaration } from '../keyspace/declaration.js'
import type { KeyParams } from '../keyspace/define.js'
import type { TypeDescriptor, TypeKind } from '../keyspace/types.js'

/** The value type of a cache entry: `Product` for `type: t.json<Product>()`. */
export type CacheValue<D extends EntryDeclaration> =
  D['type'] extends TypeDescriptor<TypeKind, infer T> ? T : never

/** The key parameters of a cache entry: `{ id }` for `product:<id>`. */
export type CacheParams<D extends EntryDeclaration> = KeyParams<D['pattern']>

/** When a hit refreshes the value in the background before it expires, so that hot keys rarely miss. */
export interface EarlyRefreshOptions {
  /**
   * Probabilistic early expiration (XFetch): a hit refreshes in the background with a
   * probability that rises as expiry nears, weighted by the measured load time. Larger β
   * refreshes earlier. Default 1.
   */
  readonly beta?: number
  /** Refresh-ahead: also refresh once this fraction of the TTL has passed (0 < ratio < 1). */
  readonly ratio?: number
}

/**
 * The cross-process lease that lets one caller in the whole fleet load a missing key while the others
 * wait.
 */
export interface LeaseOptions {
  /** How long a loader holds the cross-process lease before others may take over, default 10 s. */
  readonly ttlMs?: number
  /** How long a caller waits for another process's load before falling back, default 5 s. */
  readonly waitMs?: number
  /** After the wait, without a stale value: load anyway ('load', default) or fail (CACHE_LEASE_TIMEOUT). */
  readonly onTimeout?: 'load' | 'error'
}

/** The optional in-process near cache: entries served from memory, invalidated by the cache's channel. */
export interface L1Options {
  /** Entries kept in this process (LRU). */
  readonly maxItems: number
  /** Longest an entry is served from memory without asking Redis, default 60 s (never past its TTL). */
  readonly ttl?: TtlSpec
}

/** Per-call overrides of the cache's defaults. */
export interface WriteOptions {
  /** Overrides the entry's TTL (jitter still applies). */
  readonly ttl?: TtlSpec
  /** Tags this value is invalidated by: `invalidateTags(['category:7'])`. */
  readonly tags?: readonly string[]
}

export interface LoadOptions extends WriteOptions {
  /** How long an expired value is kept to be served stale; 0 disables. */
  readonly grace?: TtlSpec | 0
  /** Serve the stale value when the loader throws or hits the hard timeout. */
  readonly staleIfError?: boolean
  /** With a stale value: return it after this long and let the load finish in the background. */
  readonly softTimeoutMs?: number
  /** Give up on the loader after this long (stale if there is one, else CACHE_LOAD_TIMEOUT). */
  readonly hardTimeoutMs?: number
}

export interface GetOrSetOptions extends LoadOptions {
  /** Resolve to `{ value, meta }`: how the value was served (for a `Cache-Status` header). */
  readonly meta?: boolean
}

/** Options of `cache.get`: the entry's tags and whether to return how it was served. */
export interface GetOptions {
  /** The tags the entry was written with, so that their versions are read in the same round trip. */
  readonly tags?: readonly string[]
  readonly meta?: boolean
}

/**
 * createCache's options: lifetimes, stale serving, timeouts, the lease, the L1 and failure handling
 * (docs/cache.md lists each with its default).
 */
export interface CacheOptions extends Omit<LoadOptions, 'tags'> {
  readonly jitter?: number
  /** TTL of "not found" (a loader returning null or undefined); 0 disables. Default ttl / 10. */
  readonly negativeTtl?: TtlSpec | 0
  /** Early refresh of hot keys; `false` disables. Default `{ beta: 1 }`. */
  readonly earlyRefresh?: false | EarlyRefreshOptions
  readonly lease?: LeaseOptions
  /** The in-process near cache; off by default. */
  readonly l1?: false | L1Options
  /** Timeout of each Redis call the cache makes, default 1000 ms (fail fast). */
  readonly timeoutMs?: number
  /** When Redis is down or slow: call the loader without caching ('load', default) or rethrow. */
  readonly onRedisError?: 'load' | 'throw'
  /**
   * Fail fast while Redis is down: after `failures` consecutive connection failures (default 3)
   * Redis is skipped for `coolDown` (default 5 s) — calls are answered from L1, a stale value or
   * the loader at once, writes fail at once with CONNECTION_UNAVAILABLE — then one call probes it.
   * `false` turns it off (every call then waits the client's offline wait).
   */
  readonly circuitBreaker?: false | CircuitBreakerOptions
  /** How long tag versions are kept after an invalidation, default max(7 days, 2 × ttl + grace). */
  readonly tagRetention?: TtlSpec
  /** Source of randomness (jitter, early refresh); tests inject one. */
  readonly random?: () => number
}

export interface CircuitBreakerOptions {
  /** Consecutive connection failures that open the breaker, default 3. */
  readonly failures?: number
  /** How long Redis is skipped once open before one call probes it: ms or '5s', default 5 s. */
  readonly coolDown?: TtlSpec
}

/**
 * What a loader is given: the key, its parameters, the stale value being refreshed, an abort signal and
 * controls over what is cached.
 */
export interface LoaderContext<P, T> {
  readonly key: string
  readonly params: P
  /** The expired (grace) value being refreshed, if any: for conditional requests. */
  readonly stale: T | undefined
  /** Aborted when the hard timeout fires. */
  readonly signal: AbortSignal
  /** Adaptive caching: the TTL for this value (e.g. a token's own expiry). */
  setTtl(ttl: TtlSpec): void
  /** Return the value to the callers but do not cache it. */
  skip(): void
}

/** Returns the value, or null/undefined for "not found" (cached for `negativeTtl`). */
export type Loader<P, T> = (
  context: LoaderContext<P, T>,
) => T | null | undefined | Promise<T | null | undefined>

/** How a value was served: `l1` (process memory), `hit` (Redis), `miss` (loaded), `stale` (expired, within grace). */
export type CacheStatus = 'hit' | 'miss' | 'stale' | 'l1'

/** How a value was served, for logs and an HTTP `Cache-Status` header (`cacheStatusHeader`). */
export interface CacheMeta {
  readonly key: string
  readonly status: CacheStatus
  /** Milliseconds since the value was loaded. */
  readonly ageMs: number
  /** Milliseconds of freshness left; negative when stale. */
  readonly ttlMs: number
  /** The entry records "not found". */
  readonly negative: boolean
  /** This call joined a load (or read) another caller in this process had started. */
  readonly shared: boolean
  /** It waited for another process's load. */
  readonly waited: boolean
}

/**
 * A value with how it was served: what `getOrSet(…, { meta: true })` and `get(…, { meta: true })` resolve
 * to.
 */
export interface CacheResult<T> {
  readonly value: T | undefined
  readonly meta: CacheMeta
}

/** A cache's counters since it was created, and the state of its channel and circuit breaker. */
export interface CacheStats {
  readonly hits: number
  readonly l1Hits: number
  readonly misses: number
  readonly staleServed: number
  readonly negativeHits: number
  readonly loads: number
  readonly loadErrors: number
  readonly loadTimeouts: number
  readonly leaseWaits: number
  readonly leaseTimeouts: number
  readonly earlyRefreshes: number
  /** Loads whose result was not written because the key was invalidated meanwhile. */
  readonly staleSetsPrevented: number
  readonly redisErrors: number
  /** Redis calls the open circuit breaker answered at once (not counted in redisErrors). */
  readonly redisSkipped: number
  /** Times the circuit breaker opened. */
  readonly breakerOpens: number
  /** 'closed' (Redis asked), 'open' (skipped), 'half-open' (one call probing), 'off'. */
  readonly breaker: 'closed' | 'open' | 'half-open' | 'off'
  readonly l1Invalidations: number
  readonly l1Size: number
  /** The invalidation channel: 'up', 'down' (L1 bypassed, waiters poll nothing and time out), 'off'. */
  readonly channel: 'up' | 'down' | 'off'
  readonly warnings: readonly string[]
}

/**
 * Why an expired value was served: within grace while refreshing, on a loader error or timeout, while
 * another process held the lease, or with Redis down.
 */
export type StaleReason = 'grace' | 'error' | 'timeout' | 'lease' | 'redis'

/** The events a Cache emits, with their arguments: what happened to each read, load and invalidation. */
export interface CacheEvents {
  hit: [key: string, source: 'redis' | 'l1']
  miss: [key: string]
  stale: [key: string, reason: StaleReason]
  load: [key: string, ms: number, error: unknown]
  leaseWait: [key: string, ms: number, notified: boolean]
  earlyRefresh: [key: string]
  /** A load finished after its key was invalidated: its result was not written. */
  staleSetPrevented: [key: string]
  /** An L1 entry was dropped because another process (or this one) changed it. */
  invalidated: [key: string | null, tags: readonly string[]]
  error: [operation: string, key: string | null, error: unknown]
  warning: [message: string]
  /** The circuit breaker changed state; `error` is the failure that opened it (null otherwise). */
  breaker: [state: 'closed' | 'open' | 'half-open', error: unknown]
}
