import { LRUCache } from 'lru-cache'

/** One value held in process memory, with what it needs to be served and invalidated. */
export interface L1Entry<T> {
  readonly value: T | undefined
  readonly negative: boolean
  readonly freshUntil: number
  readonly createdAt: number
  readonly loadMs: number
  /** Served from memory until then (server-clock ms): min(freshUntil, stored + l1 ttl). */
  readonly until: number
  readonly tags: readonly string[]
}

/** Passed to every get: lru-cache would otherwise allocate a default options object per call. */
const GET_OPTIONS = {}

/** Cap on remembered recent invalidations; past it the memory resets (see `store`). */
const RECENT_CAP = 10_000

/**
 * The near cache (L1): an LRU in front of Redis, kept coherent by the cache's channel.
 *
 * The race it guards against: this process reads a value from Redis while another process
 * invalidates it; the invalidation can arrive (on the subscriber connection) before the read's
 * reply (on the command connection), and storing the read afterwards would keep a stale value.
 * So every read takes a ticket (`ticket()`) and `store` refuses when the key — or, for tagged
 * entries, any tag — was invalidated after the ticket.
 *
 * While the channel is down nothing is served from memory as a hit (invalidations may be
 * missed), but entries are kept as a last resort for when Redis itself is unreachable; once
 * the channel is back, everything is dropped, since what was missed is unknown.
 */
export class NearCache<T> {
  readonly #lru: LRUCache<string, L1Entry<T>>
  readonly #byTag = new Map<string, Set<string>>()
  #sequence = 0
  readonly #recent = new Map<string, number>()
  #horizon = 0
  #lastTagInvalidation = 0
  #enabled = false

  constructor(maxItems: number) {
    this.#lru = new LRUCache<string, L1Entry<T>>({
      max: maxItems,
      dispose: (entry, key) => this.#unindex(key, entry.tags),
    })
  }

  get size(): number {
    return this.#lru.size
  }

  get enabled(): boolean {
    return this.#enabled
  }

  /** The channel is up (serve from memory) or down (serve nothing as a hit). */
  setEnabled(enabled: boolean): void {
    if (enabled && !this.#enabled) this.clear()
    this.#enabled = enabled
  }

  /** Whatever memory holds for `key`, even unverified or past its time: the Redis-down fallback. */
  fallback(key: string): L1Entry<T> | undefined {
    return this.#lru.get(key)
  }

  get(key: string, now: number): L1Entry<T> | undefined {
    if (!this.#enabled) return undefined
    const entry = this.#lru.get(key, GET_OPTIONS)
    if (entry === undefined) return undefined
    if (entry.until <= now) {
      this.#lru.delete(key)
      return undefined
    }
    return entry
  }

  /** Taken before a Redis read whose result may be stored. */
  ticket(): number {
    return this.#sequence
  }

  /** Stores unless the key (or one of its tags) was invalidated after `ticket`. */
  store(key: string, entry: L1Entry<T>, ticket: number): void {
    if (ticket < this.#horizon) return
    if ((this.#recent.get(key) ?? -1) > ticket) return
    if (entry.tags.length > 0 && this.#lastTagInvalidation > ticket) return
    this.#lru.set(key, entry)
    for (const tag of entry.tags) {
      let keys = this.#byTag.get(tag)
      if (!keys) {
        keys = new Set()
        this.#byTag.set(tag, keys)
      }
      keys.add(key)
    }
  }

  /** This process wrote `key` itself: its own value is the newest, store it at once. */
  storeOwn(key: string, entry: L1Entry<T>): void {
    this.invalidate(key)
    this.store(key, entry, this.#sequence)
  }

  invalidate(key: string): boolean {
    this.#remember(key)
    return this.#lru.delete(key)
  }

  /** Drops every entry carrying one of `tags`; returns how many. */
  invalidateTags(tags: readonly string[]): number {
    this.#lastTagInvalidation = ++this.#sequence
    let dropped = 0
    for (const tag of tags) {
      const keys = this.#byTag.get(tag)
      if (!keys) continue
      for (const key of [...keys]) if (this.#lru.delete(key)) dropped++
    }
    return dropped
  }

  clear(): void {
    this.#horizon = ++this.#sequence
    this.#recent.clear()
    this.#lru.clear()
    this.#byTag.clear()
  }

  #remember(key: string): void {
    const sequence = ++this.#sequence
    if (this.#recent.size >= RECENT_CAP) {
      // Forget the details but stay safe: reads that started before now may not store.
      this.#recent.clear()
      this.#horizon = sequence
    }
    this.#recent.set(key, sequence)
  }

  #unindex(key: string, tags: readonly string[]): void {
    for (const tag of tags) {
      const keys = this.#byTag.get(tag)
      if (!keys) continue
      keys.delete(key)
      if (keys.size === 0) this.#byTag.delete(tag)
    }
  }
}
