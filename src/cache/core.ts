import { randomBytes } from 'node:crypto'
import type { EventEmitter } from 'node:events'
import type { Client } from '../client/client.js'
import type { Codec } from '../codec/types.js'
import type { RedisExpertError } from '../errors.js'
import { CircuitBreaker } from './breaker.js'
import { ServerClock } from './clock.js'
import type { Stored } from './envelope.js'
import { isUnavailable } from './errors.js'
import type { CacheKeys } from './keys.js'
import type { L1Entry } from './l1.js'
import type { ResolvedCacheOptions } from './options.js'
import { metaOf, type Served, served } from './served.js'
import { RedisTier } from './store.js'
import type { CacheEvents, CacheResult, CacheStats, StaleReason } from './types.js'

/** The counters of `stats()` that the cache's parts increment. */
export type Counters = {
  -readonly [K in Exclude<
    keyof CacheStats,
    'l1Size' | 'channel' | 'warnings' | 'breaker' | 'breakerOpens' | 'redisSkipped'
  >]: number
}

/** Who this process is on the channel, and the prefix of its lease tokens. */
const PROCESS_ID = randomBytes(6).toString('hex')
let instances = 0

/**
 * What every part of one cache shares (bentocache's "stack"): the resolved options, the codec,
 * the Redis tier behind the circuit breaker, the server clock, this cache's origin on the
 * channel, the counters, and the one way to report a hit, a stale answer or a failure.
 */
export class CacheCore<V> {
  readonly options: ResolvedCacheOptions
  readonly codec: Codec<V>
  readonly events: EventEmitter<CacheEvents>
  readonly breaker: CircuitBreaker | null
  readonly redis: RedisTier<V>
  readonly clock = new ServerClock()
  readonly origin = `${PROCESS_ID}.${++instances}`
  readonly counters: Counters = {
    hits: 0,
    l1Hits: 0,
    misses: 0,
    staleServed: 0,
    negativeHits: 0,
    loads: 0,
    loadErrors: 0,
    loadTimeouts: 0,
    leaseWaits: 0,
    leaseTimeouts: 0,
    earlyRefreshes: 0,
    staleSetsPrevented: 0,
    redisErrors: 0,
    l1Invalidations: 0,
  }
  #tokens = 0

  constructor(
    db: Client,
    options: ResolvedCacheOptions,
    keys: CacheKeys,
    codec: Codec<V>,
    events: EventEmitter<CacheEvents>,
  ) {
    this.options = options
    this.codec = codec
    this.events = events
    this.breaker =
      options.circuitBreaker === null
        ? null
        : new CircuitBreaker(options.circuitBreaker, (state, error) => events.emit('breaker', state, error))
    this.redis = new RedisTier<V>(db, keys, codec, options.timeoutMs, this.origin, this.breaker)
  }

  /** A lease token no other caller in the fleet holds. */
  token(): string {
    return `${this.origin}.${++this.#tokens}`
  }

  countHit(key: string, stored: Stored<V>, source: 'redis' | 'l1'): void {
    this.counters.hits++
    if (stored.negative) this.counters.negativeHits++
    this.events.emit('hit', key, source)
  }

  serveStale(key: string, stale: Stored<V> | L1Entry<V>, reason: StaleReason): Served<V> {
    this.counters.staleServed++
    this.events.emit('stale', key, reason)
    return served(stale, 'stale', false)
  }

  withMeta(key: string, result: Served<V>, shared: boolean): CacheResult<V> {
    return { value: result.value, meta: metaOf(key, result, shared, this.clock.now()) }
  }

  /** Counts and reports a failure; returns it so callers can `throw core.failed(...)`. */
  failed(operation: string, key: string | null, error: unknown): unknown {
    // Calls the open breaker skipped are counted by it (redisSkipped) and not reported one by one.
    if ((error as RedisExpertError | null)?.details?.breaker === 'open') return error
    if (isUnavailable(error) || operation === 'redis') this.counters.redisErrors++
    if (this.events.listenerCount('error') > 0) this.events.emit('error', operation, key, error)
    return error
  }
}
