import type { BusMessage } from './bus.js'
import type { CacheCore } from './core.js'
import type { Stored } from './envelope.js'
import { type L1Entry, NearCache } from './l1.js'
import { l1Entry, type Served, served, tagsOf } from './served.js'

/**
 * The L1 as the cache uses it: the near cache (`NearCache`, the LRU and its race guards) plus
 * what the cache counts and reports about it, how long an entry may be served from memory,
 * and the channel's invalidations from other processes. Present only with `l1: { maxItems }`.
 */
export class L1Tier<V> {
  readonly #near: NearCache<V>
  readonly #core: CacheCore<V>
  readonly #ttlMs: number

  constructor(settings: { readonly maxItems: number; readonly ttlMs: number }, core: CacheCore<V>) {
    this.#near = new NearCache<V>(settings.maxItems)
    this.#core = core
    this.#ttlMs = settings.ttlMs
  }

  get size(): number {
    return this.#near.size
  }

  /** Taken before a Redis read whose result may be stored (see NearCache). */
  ticket(): number {
    return this.#near.ticket()
  }

  /** A hit from memory at `now` (server clock), counted and reported; null when there is none. */
  hit(key: string, now: number): L1Entry<V> | null {
    const entry = this.#near.get(key, now)
    if (!entry) return null
    const counters = this.#core.counters
    counters.l1Hits++
    if (entry.negative) counters.negativeHits++
    this.#core.events.emit('hit', key, 'l1')
    return entry
  }

  /** Keeps a value read from Redis, unless it was invalidated after `ticket`. */
  remember(key: string, stored: Stored<V>, tags: readonly string[], ticket: number): void {
    const result = served(stored, 'hit', false)
    this.#near.store(
      key,
      l1Entry(result, stored.loadMs, tags.length > 0 ? tags : tagsOf(stored), this.#until(result)),
      ticket,
    )
  }

  /** Keeps a value this process wrote itself (a committed load or a write): the newest there is. */
  storeOwn(key: string, result: Served<V>, loadMs: number, tags: readonly string[]): void {
    this.#near.storeOwn(key, l1Entry(result, loadMs, tags, this.#until(result)))
  }

  /** Redis is unreachable: whatever memory holds, served stale; null when nothing. */
  fallback(key: string): Served<V> | null {
    const entry = this.#near.fallback(key)
    if (!entry) return null
    return this.#core.serveStale(key, entry, 'redis')
  }

  invalidate(key: string): void {
    this.#near.invalidate(key)
  }

  invalidateTags(tags: readonly string[]): void {
    this.#core.counters.l1Invalidations += this.#near.invalidateTags(tags)
  }

  /** Another process changed a key or invalidated tags (its message on the channel). */
  onMessage(message: BusMessage): void {
    if (message.kind === 't') {
      const tags = message.payload.split('\n')
      this.invalidateTags(tags)
      this.#core.events.emit('invalidated', null, tags)
      return
    }
    if (message.kind === 'r') return
    if (this.#near.invalidate(message.payload)) {
      this.#core.counters.l1Invalidations++
      this.#core.events.emit('invalidated', message.payload, [])
    }
  }

  /** The channel is up (serve from memory) or down (serve nothing as a hit). */
  setEnabled(up: boolean): void {
    this.#near.setEnabled(up)
  }

  /** Served from memory until: its freshness, and never longer than `l1.ttl` from now. */
  #until(result: Served<V>): number {
    return Math.min(result.freshUntil, this.#core.clock.now() + this.#ttlMs)
  }
}
