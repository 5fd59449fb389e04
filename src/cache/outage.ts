import type { CacheCall } from './call.js'
import type { CacheCore } from './core.js'
import type { Stored } from './envelope.js'
import { isUnavailable } from './errors.js'
import type { L1Tier } from './l1-tier.js'
import { type Loaded, runLoad } from './load.js'
import { absent, type Served } from './served.js'

/**
 * The answers when Redis is down or slow (a call failed fast on the cache's timeout, or the
 * circuit breaker skipped Redis): L1's copy if there is one, else a stale value the caller
 * already holds, else — for getOrSet — the loader itself, uncached (`onRedisError: 'load'`).
 * Any other failure, or `onRedisError: 'throw'`, is rethrown.
 */
export class Outage<P, V> {
  readonly #core: CacheCore<V>
  readonly #l1: L1Tier<V> | null
  readonly #rethrow: boolean

  constructor(core: CacheCore<V>, l1: L1Tier<V> | null) {
    this.#core = core
    this.#l1 = l1
    this.#rethrow = core.options.onRedisError === 'throw'
  }

  /** `get` could not read Redis: L1's copy (stale) or absent. */
  get(key: string, error: unknown): Served<V> {
    if (!isUnavailable(error) || this.#rethrow) throw this.#core.failed('get', key, error)
    this.#core.failed('get', key, error)
    return this.#l1?.fallback(key) ?? absent<V>(false)
  }

  /** `getOrSet` could not reach Redis: L1's copy, the stale value, or the loader without caching. */
  async getOrSet(call: CacheCall<P, V>, error: unknown, stale: Stored<V> | null = null): Promise<Served<V>> {
    const { key } = call
    if (!isUnavailable(error) || this.#rethrow) throw this.#core.failed('redis', key, error)
    this.#core.failed('redis', key, error)
    const fallback = this.#l1?.fallback(key) ?? null
    if (fallback) return fallback
    if (stale) return this.#core.serveStale(key, stale, 'redis')
    this.#core.counters.loads++
    const outcome = await runLoad(
      {
        key,
        params: call.params,
        loader: call.loader,
        stale: null,
        softTimeoutMs: null,
        hardTimeoutMs: call.policy.hardTimeoutMs,
        staleIfError: false,
        finish: async () => {},
        abandon: async () => {},
      },
      (ms, loadError) => this.#core.events.emit('load', key, ms, loadError),
    )
    const loaded = (outcome as { loaded: Loaded<V> }).loaded
    const now = this.#core.clock.now()
    return {
      value: loaded.value,
      status: 'miss',
      createdAt: now,
      freshUntil: now,
      negative: loaded.negative,
      waited: false,
    }
  }
}
