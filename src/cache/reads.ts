import type { CacheCall } from './call.js'
import type { CacheCore } from './core.js'
import type { EarlyRefresh } from './early-refresh.js'
import type { L1Tier } from './l1-tier.js'
import type { LeaseFlow } from './lease-flow.js'
import type { Outage } from './outage.js'
import { absent, type Served, served } from './served.js'
import type { CacheResult } from './types.js'

/**
 * The read paths (bentocache's get/set handler): L1, then Redis; on a getOrSet miss, single
 * flight in the process, then the lease flow across processes. A hit is answered here.
 *
 * The hit paths are written with plain promises, not async functions: they are the paths whose
 * every microtask shows in throughput.
 */
export class Reads<P, V> {
  readonly #core: CacheCore<V>
  readonly #l1: L1Tier<V> | null
  readonly #lease: LeaseFlow<P, V>
  readonly #refresh: EarlyRefresh<P, V>
  readonly #outage: Outage<P, V>
  readonly #flights = new Map<string, Promise<Served<V>>>()

  constructor(
    core: CacheCore<V>,
    l1: L1Tier<V> | null,
    parts: { lease: LeaseFlow<P, V>; refresh: EarlyRefresh<P, V>; outage: Outage<P, V> },
  ) {
    this.#core = core
    this.#l1 = l1
    this.#lease = parts.lease
    this.#refresh = parts.refresh
    this.#outage = parts.outage
  }

  /** The fresh value, or undefined. */
  get(key: string, tags: readonly string[], meta: boolean): Promise<V | undefined | CacheResult<V>> {
    const core = this.#core
    const l1 = this.#l1
    const cached = l1 === null ? null : l1.hit(key, core.clock.now())
    if (cached)
      return Promise.resolve(meta ? core.withMeta(key, served(cached, 'l1', false), false) : cached.value)
    const ticket = l1?.ticket() ?? 0
    return core.redis.read(key, tags).then(
      (read) => {
        if (read.corrupt) throw read.corrupt
        const stored = read.valid ? read.stored : null
        let result: Served<V> | null = null
        if (stored && stored.freshUntil > core.clock.now()) {
          core.countHit(key, stored, 'redis')
          if (l1) l1.remember(key, stored, tags, ticket)
          if (!meta) return stored.value
          result = served(stored, 'hit', false)
        } else {
          core.counters.misses++
          core.events.emit('miss', key)
        }
        return meta ? core.withMeta(key, result ?? absent(false), false) : undefined
      },
      (error: unknown) => {
        const fallback = this.#outage.get(key, error)
        return meta ? core.withMeta(key, fallback, false) : fallback.value
      },
    )
  }

  /** Several values: L1 first, the rest in one read per server. */
  async getMany(keys: readonly string[], tags: readonly string[]): Promise<(V | undefined)[]> {
    const core = this.#core
    const l1 = this.#l1
    const out: (V | undefined)[] = new Array(keys.length)
    const remote: number[] = []
    keys.forEach((key, i) => {
      const cached = l1 === null ? null : l1.hit(key, core.clock.now())
      if (cached) out[i] = cached.value
      else remote.push(i)
    })
    if (remote.length === 0) return out
    const ticket = l1?.ticket() ?? 0
    const reads = await core.redis.readMany(
      remote.map((i) => keys[i]!),
      tags,
    )
    const now = core.clock.now()
    reads.forEach((read, j) => {
      const key = keys[remote[j]!]!
      if (read.corrupt) throw read.corrupt
      const stored = read.stored
      if (stored && read.valid && stored.freshUntil > now) {
        core.countHit(key, stored, 'redis')
        l1?.remember(key, stored, tags, ticket)
        out[remote[j]!] = stored.value
      } else {
        core.counters.misses++
        out[remote[j]!] = undefined
      }
    })
    return out
  }

  /** The cached value, or the loader's: one loader call per key across every process. */
  getOrSet(call: CacheCall<P, V>): Promise<V | undefined | CacheResult<V>> {
    const core = this.#core
    const { key, meta } = call
    const l1 = this.#l1
    if (l1 !== null) {
      const now = core.clock.now()
      const cached = l1.hit(key, now)
      if (cached) {
        this.#refresh.consider(call, cached, now)
        return Promise.resolve(meta ? core.withMeta(key, served(cached, 'l1', false), false) : cached.value)
      }
    }
    const flight = this.#flights.get(key)
    if (flight) return this.#join(key, flight, meta, true)
    const ticket = l1?.ticket() ?? 0
    return core.redis.read(key, call.policy.tags).then(
      (read) => {
        if (read.corrupt) core.failed('decode', key, read.corrupt)
        const stored = read.valid ? read.stored : null
        if (stored && stored.freshUntil > core.clock.now()) {
          core.countHit(key, stored, 'redis')
          if (l1) l1.remember(key, stored, call.policy.tags, ticket)
          this.#refresh.consider(call, stored)
          return meta ? core.withMeta(key, served(stored, 'hit', false), false) : stored.value
        }
        core.counters.misses++
        core.events.emit('miss', key)
        return this.#single(key, meta, () => this.#lease.resolve(call, read))
      },
      (error: unknown) => this.#single(key, meta, () => this.#outage.getOrSet(call, error)),
    )
  }

  /** In-process single flight: the first caller's `start()` runs, every concurrent caller joins it. */
  #single(
    key: string,
    meta: boolean,
    start: () => Promise<Served<V>>,
  ): Promise<V | undefined | CacheResult<V>> {
    const existing = this.#flights.get(key)
    if (existing) return this.#join(key, existing, meta, true)
    const flight = start()
    this.#flights.set(key, flight)
    const forget = () => {
      if (this.#flights.get(key) === flight) this.#flights.delete(key)
    }
    flight.then(forget, forget)
    return this.#join(key, flight, meta, false)
  }

  #join(key: string, flight: Promise<Served<V>>, meta: boolean, shared: boolean) {
    return flight.then((result) => (meta ? this.#core.withMeta(key, result, shared) : result.value))
  }
}
