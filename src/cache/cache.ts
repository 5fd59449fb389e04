import { randomBytes } from 'node:crypto'
import { EventEmitter } from 'node:events'
import type { RedisExpertClient } from '../client/client.js'
import type { ChannelSubscriber } from '../client/subscriber.js'
import type { Codec } from '../codec/types.js'
import { jitteredTtl } from '../common/ttl.js'
import { strictOptions } from '../common/validate.js'
import { invalidArgument, type RedisExpertError } from '../errors.js'
import type { EntryDeclaration } from '../keyspace/declaration.js'
import type { Entry } from '../keyspace/define.js'
import { CircuitBreaker } from './breaker.js'
import { parseBusMessage, Waiters } from './bus.js'
import { ServerClock } from './clock.js'
import { decodeEnvelope, encodeEnvelope, type Stored, stampOf, tagsOfStamp } from './envelope.js'
import { cacheError, isUnavailable } from './errors.js'
import { keyBuilder } from './key-builder.js'
import type { CacheKeys } from './keys.js'
import { type L1Entry, NearCache } from './l1.js'
import { type Loaded, runLoad } from './load.js'
import {
  type CallPolicy,
  callPolicy,
  normalizeTags,
  type ResolvedCacheOptions,
  WRITE_OPTIONS,
} from './options.js'
import { shouldRefreshEarly } from './refresh.js'
import { absent, l1Entry, metaOf, type Served, served, tagsOf } from './served.js'
import { type ReadResult, RedisTier } from './store.js'
import type {
  CacheEvents,
  CacheParams,
  CacheResult,
  CacheStats,
  CacheValue,
  GetOptions,
  GetOrSetOptions,
  Loader,
  StaleReason,
  WriteOptions,
} from './types.js'

type Counters = {
  -readonly [K in Exclude<
    keyof CacheStats,
    'l1Size' | 'channel' | 'warnings' | 'breaker' | 'breakerOpens' | 'redisSkipped'
  >]: number
}

const NO_TAGS: readonly string[] = []

/** Who this process is on the channel, and the prefix of its lease tokens. */
const PROCESS_ID = randomBytes(6).toString('hex')
let instances = 0

/**
 * A cache over one keyspace entry of role `cache`: look-aside `getOrSet` with stampede
 * control in three layers (single flight in process, one cross-process lease per key,
 * early refresh), stale serving, negative caching, tags, write-through and an optional L1.
 * Create it with `createCache()`; docs/cache.md describes the design and its round trips.
 */
export class Cache<
  D extends EntryDeclaration,
  V = CacheValue<D>,
  P = CacheParams<D>,
> extends EventEmitter<CacheEvents> {
  readonly entry: Entry<D>
  readonly keys: CacheKeys
  readonly options: ResolvedCacheOptions
  readonly #codec: Codec<V>
  readonly #redis: RedisTier<V>
  readonly #breaker: CircuitBreaker | null
  readonly #clock = new ServerClock()
  readonly #origin = `${PROCESS_ID}.${++instances}`
  #tokens = 0
  readonly #flights = new Map<string, Promise<Served<V>>>()
  readonly #refreshing = new Set<string>()
  /** Keys whose lease another process holds, until when: early refresh does not ask again. */
  readonly #busyUntil = new Map<string, number>()
  readonly #waiters = new Waiters()
  readonly #l1: NearCache<V> | null
  readonly #key: (params: unknown) => string
  /** The call policy of a call without options, built once. */
  readonly #defaults: CallPolicy
  #subscriber: ChannelSubscriber | null = null
  readonly #warnings: string[] = []
  readonly #counters: Counters = {
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
  #closed = false

  /** Use `createCache()`. */
  constructor(db: RedisExpertClient, entry: Entry<D>, options: ResolvedCacheOptions, keys: CacheKeys) {
    super()
    this.entry = entry
    this.options = options
    this.keys = keys
    this.#codec = entry.policy.codec as Codec<V>
    this.#breaker =
      options.circuitBreaker === null
        ? null
        : new CircuitBreaker(options.circuitBreaker, (state, error) => this.emit('breaker', state, error))
    this.#redis = new RedisTier<V>(db, keys, this.#codec, options.timeoutMs, this.#origin, this.#breaker)
    this.#l1 = options.l1 ? new NearCache<V>(options.l1.maxItems) : null
    this.#key = keyBuilder(entry, options.l1 ? options.l1.maxItems : 0)
    this.#defaults = callPolicy(options, undefined)
  }

  /** The value key for `params`: `shop:product:42`. Throws KEY_PARAM_INVALID. */
  key(params: P): string {
    return this.#key(params)
  }

  // ---------------------------------------------------------------- reads

  /** The fresh value, or undefined (absent, expired, negative, or invalidated by a tag). */
  get(params: P, options: GetOptions & { readonly meta: true }): Promise<CacheResult<V>>
  get(params: P, options?: GetOptions): Promise<V | undefined>
  get(params: P, options?: GetOptions): Promise<V | undefined | CacheResult<V>> {
    let key: string
    let tags: readonly string[]
    try {
      this.#assertOpen()
      key = this.key(params)
      if (options !== undefined) strictOptions('get options', options, ['tags', 'meta'])
      tags = options?.tags === undefined ? NO_TAGS : normalizeTags(options.tags)
    } catch (error) {
      return Promise.reject(error)
    }
    const meta = options?.meta === true
    const cached = this.#fromL1(key)
    if (cached)
      return Promise.resolve(meta ? this.#withMeta(key, served(cached, 'l1', false), false) : cached.value)
    const ticket = this.#l1?.ticket() ?? 0
    return this.#redis.read(key, tags).then(
      (read) => {
        if (read.corrupt) throw read.corrupt
        const stored = read.valid ? read.stored : null
        let result: Served<V> | null = null
        if (stored && stored.freshUntil > this.#clock.now()) {
          this.#countHit(key, stored, 'redis')
          if (this.#l1) this.#remember(key, stored, tags, ticket)
          if (!meta) return stored.value
          result = served(stored, 'hit', false)
        } else {
          this.#counters.misses++
          this.emit('miss', key)
        }
        return meta ? this.#withMeta(key, result ?? absent(false), false) : undefined
      },
      (error: unknown) => {
        if (!isUnavailable(error) || this.options.onRedisError === 'throw')
          throw this.#failed('get', key, error)
        this.#failed('get', key, error)
        const fallback = this.#fallback(key) ?? absent<V>(false)
        return meta ? this.#withMeta(key, fallback, false) : fallback.value
      },
    )
  }

  /** Several values: one MGET per server (per slot on a Cluster, in parallel). */
  async getMany(paramsList: readonly P[], options?: Omit<GetOptions, 'meta'>): Promise<(V | undefined)[]> {
    this.#assertOpen()
    if (!Array.isArray(paramsList)) throw invalidArgument('getMany takes an array of key parameters')
    strictOptions('getMany options', options, ['tags'])
    const keys = paramsList.map((params) => this.key(params))
    const tags = normalizeTags(options?.tags)
    const out: (V | undefined)[] = new Array(keys.length)
    const remote: number[] = []
    keys.forEach((key, i) => {
      const cached = this.#fromL1(key)
      if (cached) out[i] = cached.value
      else remote.push(i)
    })
    if (remote.length === 0) return out
    const ticket = this.#l1?.ticket() ?? 0
    const reads = await this.#redis.readMany(
      remote.map((i) => keys[i]!),
      tags,
    )
    const now = this.#clock.now()
    reads.forEach((read, j) => {
      const key = keys[remote[j]!]!
      if (read.corrupt) throw read.corrupt
      const stored = read.stored
      if (stored && read.valid && stored.freshUntil > now) {
        this.#countHit(key, stored, 'redis')
        this.#remember(key, stored, tags, ticket)
        out[remote[j]!] = stored.value
      } else {
        this.#counters.misses++
        out[remote[j]!] = undefined
      }
    })
    return out
  }

  /**
   * The cached value, or the loader's. A hit costs one round trip (GET); a miss costs at most
   * three for the one caller that loads (GET, the lease script, the commit script), however
   * many callers in however many processes asked at once.
   */
  getOrSet(
    params: P,
    loader: Loader<P, V>,
    options: GetOrSetOptions & { readonly meta: true },
  ): Promise<CacheResult<V>>
  getOrSet(params: P, loader: Loader<P, V>, options?: GetOrSetOptions): Promise<V | undefined>
  getOrSet(
    params: P,
    loader: Loader<P, V>,
    options?: GetOrSetOptions,
  ): Promise<V | undefined | CacheResult<V>> {
    // The hit path is written with plain promises, not async functions: it is the one path
    // whose every microtask shows in throughput.
    let key: string
    let policy: CallPolicy
    try {
      this.#assertOpen()
      key = this.key(params)
      if (typeof loader !== 'function')
        throw invalidArgument('getOrSet: the loader must be a function', { key })
      policy = options === undefined ? this.#defaults : callPolicy(this.options, options)
    } catch (error) {
      return Promise.reject(error)
    }
    const meta = options?.meta === true
    const cached = this.#fromL1(key, params, loader, policy)
    if (cached)
      return Promise.resolve(meta ? this.#withMeta(key, served(cached, 'l1', false), false) : cached.value)
    const flight = this.#flights.get(key)
    if (flight) return this.#join(key, flight, meta, true)
    const ticket = this.#l1?.ticket() ?? 0
    return this.#redis.read(key, policy.tags).then(
      (read) => {
        if (read.corrupt) this.#failed('decode', key, read.corrupt)
        const stored = read.valid ? read.stored : null
        if (stored && stored.freshUntil > this.#clock.now()) {
          this.#countHit(key, stored, 'redis')
          if (this.#l1) this.#remember(key, stored, policy.tags, ticket)
          this.#considerRefresh(key, params, loader, policy, stored)
          return meta ? this.#withMeta(key, served(stored, 'hit', false), false) : stored.value
        }
        this.#counters.misses++
        this.emit('miss', key)
        // Present but expired: kept by grace, servable stale. A corrupt value is reloaded over.
        return this.#single(key, meta, () =>
          this.#loadOnce(key, params, loader, policy, read.versions, stored, read.corrupt !== null),
        )
      },
      (error: unknown) => this.#single(key, meta, () => this.#redisDown(key, params, loader, policy, error)),
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
    return flight.then((result) => (meta ? this.#withMeta(key, result, shared) : result.value))
  }

  #withMeta(key: string, result: Served<V>, shared: boolean): CacheResult<V> {
    return { value: result.value, meta: metaOf(key, result, shared, this.#clock.now()) }
  }

  /**
   * The cross-process layer: ask for the lease (registering as a waiter first, so that the
   * winner's notification cannot slip between our question and our wait); load if we win;
   * otherwise serve stale at once, or wait to be notified and read again.
   */
  async #loadOnce(
    key: string,
    params: P,
    loader: Loader<P, V>,
    policy: CallPolicy,
    versions: ReadonlyMap<string, string>,
    stale: Stored<V> | null,
    corrupt: boolean,
  ): Promise<Served<V>> {
    const stamp = stampOf(policy.tags, versions)
    // '-' asks the lease script to ignore what is stored (it does not decode).
    let force = corrupt
    const token = `${this.#origin}.${++this.#tokens}`
    const deadline = Date.now() + this.options.lease.waitMs
    let waited = false
    for (;;) {
      const waiter = this.#waiters.register(key)
      let lease: Awaited<ReturnType<RedisTier<V>['lease']>>
      try {
        lease = await this.#redis.lease(
          key,
          token,
          this.options.lease.ttlMs,
          this.#clock.now(),
          force ? '-' : stamp,
        )
      } catch (error) {
        waiter.cancel()
        return this.#redisDown(key, params, loader, policy, error, stale)
      }
      if (lease.status === 'fresh') {
        // Filled meanwhile, carrying the tag versions this caller read: serve it.
        waiter.cancel()
        let stored: Stored<V>
        try {
          stored = decodeEnvelope(this.#codec, lease.reply, key)
        } catch (error) {
          this.#failed('decode', key, error)
          force = true
          continue
        }
        this.#countHit(key, stored, 'redis')
        return served(stored, 'hit', waited)
      }
      if (lease.status === 'won') {
        waiter.cancel()
        return this.#load(key, params, loader, policy, token, lease.generation, stamp, stale, waited)
      }
      this.#counters.leaseWaits++
      if (stale) {
        // Someone else is refreshing it: the stale value now beats waiting (stale-while-revalidate).
        waiter.cancel()
        return this.#serveStale(key, stale, 'lease')
      }
      const started = Date.now()
      const remaining = deadline - started
      const notified = await waiter.wait(Math.max(0, remaining))
      waited = true
      this.emit('leaseWait', key, Date.now() - started, notified)
      if (!notified) {
        this.#counters.leaseTimeouts++
        if (this.options.lease.onTimeout === 'error')
          throw cacheError(
            'CACHE_LEASE_TIMEOUT',
            `${key}: another process has been loading it for over ${this.options.lease.waitMs} ms`,
            { details: { key, waitMs: this.options.lease.waitMs } },
          )
        // Load ourselves, without the lease; the generation still guards the write.
        return this.#load(key, params, loader, policy, '', lease.generation, stamp, null, waited)
      }
      let read: ReadResult<V>
      try {
        read = await this.#redis.read(key, policy.tags)
      } catch (error) {
        return this.#redisDown(key, params, loader, policy, error, stale)
      }
      const stored = read.valid ? read.stored : null
      if (stored && stored.freshUntil > this.#clock.now()) {
        this.#countHit(key, stored, 'redis')
        return served(stored, 'hit', true)
      }
      // The loader failed or the value was invalidated: try for the lease again.
    }
  }

  async #load(
    key: string,
    params: P,
    loader: Loader<P, V>,
    policy: CallPolicy,
    token: string,
    generation: string,
    stamp: string,
    stale: Stored<V> | null,
    waited: boolean,
  ): Promise<Served<V>> {
    this.#counters.loads++
    const startedAt = Date.now()
    let written: Served<V> | null = null
    const outcome = await runLoad<P, V>(
      {
        key,
        params,
        loader,
        stale,
        softTimeoutMs: policy.softTimeoutMs,
        hardTimeoutMs: policy.hardTimeoutMs,
        staleIfError: policy.staleIfError,
        finish: async (loaded) => {
          written = await this.#commit(key, loaded, policy, token, generation, stamp, startedAt, waited)
        },
        abandon: () => (token === '' ? Promise.resolve() : this.#redis.release(key, token)),
      },
      (ms, error) => {
        if (error !== null) this.#counters.loadErrors++
        this.emit('load', key, ms, error)
      },
    ).catch((error: unknown) => {
      if ((error as { code?: string }).code === 'CACHE_LOAD_TIMEOUT') this.#counters.loadTimeouts++
      throw error
    })
    if (outcome.kind === 'loaded') return written ?? absent(waited)
    if ((outcome.error as { code?: string } | null)?.code === 'CACHE_LOAD_TIMEOUT')
      this.#counters.loadTimeouts++
    if (outcome.error) this.#failed('load', key, outcome.error)
    return this.#serveStale(key, stale as Stored<V>, outcome.reason)
  }

  /** Stores a load's result (unless skipped, or invalidated meanwhile) and returns what callers get. */
  async #commit(
    key: string,
    loaded: Loaded<V>,
    policy: CallPolicy,
    token: string,
    generation: string,
    stamp: string,
    startedAt: number,
    waited: boolean,
  ): Promise<Served<V>> {
    const now = this.#clock.now()
    const negative = loaded.negative
    const freshMs = negative
      ? this.options.negativeTtlMs
      : jitteredTtl(loaded.ttlMs ?? policy.ttlMs, this.options.jitter, this.options.random)
    const result: Served<V> = {
      value: loaded.value,
      status: 'miss',
      createdAt: now,
      freshUntil: now + freshMs,
      negative,
      waited,
    }
    // A load that outlived the generation TTL can no longer prove nothing invalidated it.
    const tooLong = Date.now() - startedAt > this.options.generationTtlMs
    if (loaded.skip || (negative && freshMs === 0) || tooLong) {
      if (token !== '')
        await this.#redis.release(key, token).catch((error) => this.#failed('release', key, error))
      return result
    }
    let envelope: string | Buffer
    try {
      envelope = encodeEnvelope(
        this.#codec,
        { freshUntil: result.freshUntil, createdAt: now, loadMs: loaded.loadMs, negative, stamp },
        loaded.value,
      )
    } catch (error) {
      // The loader returned something the codec cannot store: callers still get it, the cache stays clean.
      this.#failed('encode', key, error)
      if (token !== '') await this.#redis.release(key, token).catch(() => {})
      return result
    }
    const px = freshMs + (negative ? 0 : policy.graceMs)
    try {
      const stored = await this.#redis.commit(key, token, generation, envelope, px)
      if (!stored) {
        this.#counters.staleSetsPrevented++
        this.emit('staleSetPrevented', key)
      } else this.#l1?.storeOwn(key, l1Entry(result, loaded.loadMs, policy.tags, this.#l1Until(result)))
    } catch (error) {
      this.#failed('commit', key, error)
    }
    return result
  }

  // ---------------------------------------------------------------- early refresh

  #considerRefresh(
    key: string,
    params: P,
    loader: Loader<P, V>,
    policy: CallPolicy,
    stored: Stored<V> | L1Entry<V>,
    now = this.#clock.now(),
  ) {
    const early = this.options.earlyRefresh
    if (!early) return
    if (
      !shouldRefreshEarly(early, now, stored.createdAt, stored.freshUntil, stored.loadMs, this.options.random)
    )
      return
    if (this.#refreshing.has(key)) return
    const busy = this.#busyUntil.get(key)
    if (busy !== undefined) {
      if (busy > now) return
      this.#busyUntil.delete(key)
    }
    this.#refreshing.add(key)
    this.#refresh(key, params, loader, policy, stored)
      .catch((error) => this.#failed('refresh', key, error))
      .finally(() => this.#refreshing.delete(key))
  }

  async #refresh(
    key: string,
    params: P,
    loader: Loader<P, V>,
    policy: CallPolicy,
    current: Stored<V> | L1Entry<V>,
  ) {
    const versions = await this.#redis.versions(policy.tags)
    const stamp = stampOf(policy.tags, versions)
    const token = `${this.#origin}.${++this.#tokens}`
    const lease = await this.#redis.lease(key, token, this.options.lease.ttlMs, this.#clock.now(), '-')
    if (lease.status !== 'won') {
      if (this.#busyUntil.size > 10_000) this.#busyUntil.clear()
      this.#busyUntil.set(key, this.#clock.now() + (lease.status === 'held' ? lease.pttl : 0))
      return
    }
    this.#counters.earlyRefreshes++
    this.emit('earlyRefresh', key)
    const stale: Stored<V> = { ...current, stamp }
    // A background refresh has nobody waiting on it: no soft timeout, errors only reported.
    await this.#load(
      key,
      params,
      loader,
      { ...policy, softTimeoutMs: null, staleIfError: true },
      token,
      lease.generation,
      stamp,
      stale,
      false,
    )
  }

  // ---------------------------------------------------------------- writes

  /**
   * Stores a value (jittered TTL) and supersedes any load in flight for it. Without `tags` the
   * entry keeps the tags it has (`tags: []` drops them). One round trip; two when `tags` are
   * given (their versions are read first); three when tags are kept (the script finds them, their
   * versions are read, the script writes).
   */
  async set(params: P, value: V, options?: WriteOptions): Promise<void> {
    this.#assertOpen()
    const key = this.key(params)
    const policy = callPolicy(this.options, options, 'set options', WRITE_OPTIONS)
    await this.#write(key, value, policy, options?.tags === undefined)
  }

  /** One write; with `keepTags`, the stored entry's tags (if any) go with the new value. */
  async #write(key: string, value: V, policy: CallPolicy, keepTags: boolean): Promise<void> {
    const { envelope, px, served: result } = await this.#envelopeFor(key, value, policy)
    const kept = await this.#redis.write(key, envelope, px, this.options.generationTtlMs, keepTags)
    if (kept === null) {
      this.#l1?.storeOwn(key, l1Entry(result, 0, policy.tags, this.#l1Until(result)))
      return
    }
    await this.#write(key, value, { ...policy, tags: tagsOfStamp(kept) }, false)
  }

  /** Several values: one pipeline per server (per slot on a Cluster, in parallel). */
  async setMany(
    items: readonly {
      readonly params: P
      readonly value: V
      readonly ttl?: WriteOptions['ttl']
      readonly tags?: readonly string[]
    }[],
  ): Promise<void> {
    this.#assertOpen()
    if (!Array.isArray(items)) throw invalidArgument('setMany takes an array of { params, value }')
    if (items.length === 0) return
    const prepared = items.map((item) => {
      if (typeof item !== 'object' || item === null)
        throw invalidArgument('setMany takes an array of { params, value }')
      strictOptions('setMany item', item, ['params', 'value', 'ttl', 'tags'])
      const policy = callPolicy(this.options, {
        ...(item.ttl === undefined ? {} : { ttl: item.ttl }),
        ...(item.tags === undefined ? {} : { tags: item.tags }),
      })
      return { key: this.key(item.params), value: item.value, policy, keepTags: item.tags === undefined }
    })
    await this.#writeMany(prepared)
  }

  /** One pipeline per server; the items whose stored entry has tags to keep go again, with them. */
  async #writeMany(
    items: readonly { key: string; value: V; policy: CallPolicy; keepTags: boolean }[],
  ): Promise<void> {
    const allTags = [...new Set(items.flatMap((p) => p.policy.tags))].sort()
    const versions = await this.#redis.versions(allTags)
    const writes = items.map(({ key, value, policy, keepTags }) => {
      const { envelope, px, served: result } = this.#envelopeWith(key, value, policy, versions)
      return {
        key,
        command: this.#redis.writeCommand(key, envelope, px, this.options.generationTtlMs, keepTags),
        result,
        policy,
      }
    })
    const kept = await this.#redis.writeMany(writes)
    const again: { key: string; value: V; policy: CallPolicy; keepTags: boolean }[] = []
    writes.forEach((w, i) => {
      const stamp = kept[i]
      if (stamp === null || stamp === undefined)
        this.#l1?.storeOwn(w.key, l1Entry(w.result, 0, w.policy.tags, this.#l1Until(w.result)))
      else
        again.push({
          key: w.key,
          value: items[i]!.value,
          policy: { ...w.policy, tags: tagsOfStamp(stamp) },
          keepTags: false,
        })
    })
    if (again.length > 0) await this.#writeMany(again)
  }

  /**
   * Write-through: runs `writer` (the database write) first; only when it succeeds is the
   * cache updated (and any load in flight superseded). When the writer throws, the cache is
   * untouched and its error is rethrown. Resolves to what the writer returned.
   */
  async writeThrough<R>(
    params: P,
    value: V,
    writer: (value: V) => R | Promise<R>,
    options?: WriteOptions,
  ): Promise<R> {
    this.#assertOpen()
    const key = this.key(params)
    if (typeof writer !== 'function')
      throw invalidArgument('writeThrough: the writer must be a function', { key })
    const policy = callPolicy(this.options, options, 'writeThrough options', WRITE_OPTIONS)
    // Refuse a value the codec cannot store before anything is written anywhere.
    this.#codec.encode(value)
    const outcome = await writer(value)
    try {
      await this.#write(key, value, policy, options?.tags === undefined)
    } catch (error) {
      this.#l1?.invalidate(key)
      this.#failed('writeThrough', key, error)
      throw cacheError(
        'CACHE_WRITE_FAILED',
        `${key}: the write succeeded but the cache was not updated: ${(error as Error).message}`,
        {
          cause: error,
          details: { key, written: true },
        },
      )
    }
    return outcome
  }

  /** Removes the value everywhere (Redis, every process's L1) and cancels loads in flight for it. One round trip. */
  async delete(params: P): Promise<boolean> {
    this.#assertOpen()
    const key = this.key(params)
    this.#l1?.invalidate(key)
    return this.#redis.delete(key, this.options.generationTtlMs)
  }

  /** Invalidates every entry carrying any of `tags`: O(1) per tag, however many entries. One round trip. */
  async invalidateTags(tags: readonly string[]): Promise<void> {
    this.#assertOpen()
    const normalized = normalizeTags(tags)
    if (normalized.length === 0) throw invalidArgument('invalidateTags takes a non-empty array of tags')
    await this.#redis.bumpTags(normalized, this.options.tagRetentionMs)
    if (this.#l1) this.#counters.l1Invalidations += this.#l1.invalidateTags(normalized)
  }

  async #envelopeFor(key: string, value: V, policy: CallPolicy) {
    return this.#envelopeWith(key, value, policy, await this.#redis.versions(policy.tags))
  }

  #envelopeWith(key: string, value: V, policy: CallPolicy, versions: ReadonlyMap<string, string>) {
    if (value === undefined || value === null)
      throw invalidArgument(
        `${key}: cache null/undefined through getOrSet's loader (negative caching), not set`,
        { key },
      )
    const now = this.#clock.now()
    const freshMs = jitteredTtl(policy.ttlMs, this.options.jitter, this.options.random)
    const served: Served<V> = {
      value,
      status: 'miss',
      createdAt: now,
      freshUntil: now + freshMs,
      negative: false,
      waited: false,
    }
    const envelope = encodeEnvelope(
      this.#codec,
      {
        freshUntil: served.freshUntil,
        createdAt: now,
        loadMs: 0,
        negative: false,
        stamp: stampOf(policy.tags, versions),
      },
      value,
    )
    return { envelope, px: freshMs + policy.graceMs, served }
  }

  // ---------------------------------------------------------------- stale, L1, failures

  #serveStale(key: string, stale: Stored<V>, reason: StaleReason): Served<V> {
    this.#counters.staleServed++
    this.emit('stale', key, reason)
    return served(stale, 'stale', false)
  }

  /** Redis is down or slow: L1's copy if any, else the loader without caching (or rethrow). */
  async #redisDown(
    key: string,
    params: P,
    loader: Loader<P, V>,
    policy: CallPolicy,
    error: unknown,
    stale: Stored<V> | null = null,
  ): Promise<Served<V>> {
    if (!isUnavailable(error) || this.options.onRedisError === 'throw')
      throw this.#failed('redis', key, error)
    this.#failed('redis', key, error)
    const fallback = this.#fallback(key)
    if (fallback) return fallback
    if (stale) return this.#serveStale(key, stale, 'redis')
    this.#counters.loads++
    const outcome = await runLoad(
      {
        key,
        params,
        loader,
        stale: null,
        softTimeoutMs: null,
        hardTimeoutMs: policy.hardTimeoutMs,
        staleIfError: false,
        finish: async () => {},
        abandon: async () => {},
      },
      (ms, loadError) => this.emit('load', key, ms, loadError),
    )
    const loaded = (outcome as { loaded: Loaded<V> }).loaded
    const now = this.#clock.now()
    return {
      value: loaded.value,
      status: 'miss',
      createdAt: now,
      freshUntil: now,
      negative: loaded.negative,
      waited: false,
    }
  }

  #fallback(key: string): Served<V> | null {
    const entry = this.#l1?.fallback(key)
    if (!entry) return null
    this.#counters.staleServed++
    this.emit('stale', key, 'redis')
    return served(entry, 'stale', false)
  }

  #fromL1(key: string, params?: P, loader?: Loader<P, V>, policy?: CallPolicy): L1Entry<V> | null {
    const l1 = this.#l1
    if (!l1) return null
    const now = this.#clock.now()
    const entry = l1.get(key, now)
    if (!entry) return null
    this.#counters.l1Hits++
    if (entry.negative) this.#counters.negativeHits++
    this.emit('hit', key, 'l1')
    if (loader && policy) this.#considerRefresh(key, params as P, loader, policy, entry, now)
    return entry
  }

  #remember(key: string, stored: Stored<V>, tags: readonly string[], ticket: number): void {
    const l1 = this.#l1
    if (!l1) return
    const result = served(stored, 'hit', false)
    l1.store(
      key,
      l1Entry(result, stored.loadMs, tags.length > 0 ? tags : tagsOf(stored), this.#l1Until(result)),
      ticket,
    )
  }

  #l1Until(result: Served<V>): number {
    return Math.min(result.freshUntil, this.#clock.now() + (this.options.l1?.ttlMs ?? 0))
  }

  #countHit(key: string, stored: Stored<V>, source: 'redis' | 'l1'): void {
    this.#counters.hits++
    if (stored.negative) this.#counters.negativeHits++
    this.emit('hit', key, source)
  }

  /** Counts and reports a failure; returns it so callers can `throw this.#failed(...)`. */
  #failed(operation: string, key: string | null, error: unknown): unknown {
    // Calls the open breaker skipped are counted by it (redisSkipped) and not reported one by one.
    if ((error as RedisExpertError | null)?.details?.breaker === 'open') return error
    if (isUnavailable(error) || operation === 'redis') this.#counters.redisErrors++
    if (this.listenerCount('error') > 0) this.emit('error', operation, key, error)
    return error
  }

  #assertOpen(): void {
    if (this.#closed) throw cacheError('CACHE_CLOSED', `cache ${this.entry.pattern}: closed`)
  }

  // ---------------------------------------------------------------- lifecycle

  /** @internal createCache: the channel's messages. */
  onChannelMessage(text: string): void {
    const message = parseBusMessage(text)
    if (!message) return
    if (message.kind === 't') {
      if (message.origin === this.#origin || !this.#l1) return
      const tags = message.payload.split('\n')
      this.#counters.l1Invalidations += this.#l1.invalidateTags(tags)
      this.emit('invalidated', null, tags)
      return
    }
    this.#waiters.wake(message.payload)
    if (message.kind === 'r' || message.origin === this.#origin || !this.#l1) return
    if (this.#l1.invalidate(message.payload)) {
      this.#counters.l1Invalidations++
      this.emit('invalidated', message.payload, [])
    }
  }

  /** @internal createCache */
  onChannelState(up: boolean): void {
    this.#l1?.setEnabled(up)
  }

  /** @internal createCache */
  attach(subscriber: ChannelSubscriber | null, warnings: readonly string[]): void {
    this.#subscriber = subscriber
    for (const warning of warnings) this.warn(warning)
  }

  /** @internal createCache */
  get clock(): ServerClock {
    return this.#clock
  }

  /** @internal */
  warn(message: string): void {
    this.#warnings.push(message)
    this.emit('warning', message)
  }

  stats(): CacheStats {
    return {
      ...this.#counters,
      redisSkipped: this.#breaker?.skipped ?? 0,
      breakerOpens: this.#breaker?.opens ?? 0,
      breaker: this.#breaker?.state ?? 'off',
      l1Size: this.#l1?.size ?? 0,
      channel: this.#subscriber === null ? 'off' : this.#subscriber.up ? 'up' : 'down',
      warnings: [...this.#warnings],
    }
  }

  /** Stops listening on the channel. Loads in flight finish; the client stays open (it is yours). */
  async close(): Promise<void> {
    this.#closed = true
    this.#subscriber?.close()
    this.#subscriber = null
  }
}
