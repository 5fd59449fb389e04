import { EventEmitter } from 'node:events'
import type { Client } from '../client/client.js'
import type { ChannelSubscriber } from '../client/subscriber.js'
import type { Codec } from '../codec/types.js'
import { strictOptions } from '../common/validate.js'
import { invalidArgument } from '../errors.js'
import type { EntryDeclaration } from '../keyspace/declaration.js'
import type { Entry } from '../keyspace/define.js'
import { parseBusMessage } from './bus.js'
import type { CacheCall, WriteCall } from './call.js'
import type { ServerClock } from './clock.js'
import { CacheCore } from './core.js'
import { EarlyRefresh } from './early-refresh.js'
import { cacheError } from './errors.js'
import { keyBuilder } from './key-builder.js'
import type { CacheKeys } from './keys.js'
import { L1Tier } from './l1-tier.js'
import { LeaseFlow } from './lease-flow.js'
import { LoadRunner } from './load-runner.js'
import {
  type CallPolicy,
  callPolicy,
  normalizeTags,
  type ResolvedCacheOptions,
  WRITE_OPTIONS,
} from './options.js'
import { Outage } from './outage.js'
import { Reads } from './reads.js'
import type {
  CacheEvents,
  CacheParams,
  CacheResult,
  CacheStats,
  CacheValue,
  GetOptions,
  GetOrSetOptions,
  Loader,
  WriteOptions,
} from './types.js'
import { Writes } from './writes.js'

const NO_TAGS: readonly string[] = []

/**
 * A cache over one keyspace entry of role `cache`: look-aside `getOrSet` with stampede
 * control in three layers (single flight in process, one cross-process lease per key,
 * early refresh), stale serving, negative caching, tags, write-through and an optional L1.
 * Create it with `createCache()`; docs/cache.md describes the design and its round trips.
 *
 * This class is the facade: it checks each call's arguments, resolves them once (the key, the
 * call's policy, a `CacheCall`) and hands the call to the part that holds that step of the
 * protocol — `Reads` (L1, Redis, single flight), `LeaseFlow` (the cross-process lease and its
 * waiters), `LoadRunner` (load and commit), `EarlyRefresh`, `Writes`, `Outage` (Redis down) and
 * `L1Tier` (the near cache and its coherence) — all sharing one `CacheCore`.
 */
export class Cache<
  D extends EntryDeclaration,
  V = CacheValue<D>,
  P = CacheParams<D>,
> extends EventEmitter<CacheEvents> {
  readonly entry: Entry<D>
  readonly keys: CacheKeys
  readonly options: ResolvedCacheOptions
  readonly #core: CacheCore<V>
  readonly #l1: L1Tier<V> | null
  readonly #reads: Reads<P, V>
  readonly #lease: LeaseFlow<P, V>
  readonly #writes: Writes<V>
  readonly #key: (params: unknown) => string
  /** The call policy of a call without options, built once. */
  readonly #defaults: CallPolicy
  #subscriber: ChannelSubscriber | null = null
  readonly #warnings: string[] = []
  #closed = false

  /** Use `createCache()`. */
  constructor(db: Client, entry: Entry<D>, options: ResolvedCacheOptions, keys: CacheKeys) {
    super()
    this.entry = entry
    this.options = options
    this.keys = keys
    const core = new CacheCore<V>(db, options, keys, entry.policy.codec as Codec<V>, this)
    const l1 = options.l1 ? new L1Tier<V>(options.l1, core) : null
    const outage = new Outage<P, V>(core, l1)
    const runner = new LoadRunner<P, V>(core, l1)
    this.#lease = new LeaseFlow<P, V>(core, runner, outage)
    this.#reads = new Reads<P, V>(core, l1, {
      lease: this.#lease,
      refresh: new EarlyRefresh<P, V>(core, runner),
      outage,
    })
    this.#writes = new Writes<V>(core, l1)
    this.#core = core
    this.#l1 = l1
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
    return this.#reads.get(key, tags, options?.meta === true)
  }

  /** Several values: one MGET per server (per slot on a Cluster, in parallel). */
  async getMany(paramsList: readonly P[], options?: Omit<GetOptions, 'meta'>): Promise<(V | undefined)[]> {
    this.#assertOpen()
    if (!Array.isArray(paramsList)) throw invalidArgument('getMany takes an array of key parameters')
    strictOptions('getMany options', options, ['tags'])
    const keys = paramsList.map((params) => this.key(params))
    return this.#reads.getMany(keys, normalizeTags(options?.tags))
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
    let call: CacheCall<P, V>
    try {
      this.#assertOpen()
      const key = this.key(params)
      if (typeof loader !== 'function')
        throw invalidArgument('getOrSet: the loader must be a function', { key })
      const policy = options === undefined ? this.#defaults : callPolicy(this.options, options)
      call = { key, params, loader, policy, meta: options?.meta === true }
    } catch (error) {
      return Promise.reject(error)
    }
    return this.#reads.getOrSet(call)
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
    await this.#writes.write({ key, value, policy, keepTags: options?.tags === undefined })
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
    const writes = items.map((item): WriteCall<V> => {
      if (typeof item !== 'object' || item === null)
        throw invalidArgument('setMany takes an array of { params, value }')
      strictOptions('setMany item', item, ['params', 'value', 'ttl', 'tags'])
      const policy = callPolicy(this.options, {
        ...(item.ttl === undefined ? {} : { ttl: item.ttl }),
        ...(item.tags === undefined ? {} : { tags: item.tags }),
      })
      return { key: this.key(item.params), value: item.value, policy, keepTags: item.tags === undefined }
    })
    await this.#writes.writeMany(writes)
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
    return this.#writes.writeThrough({ key, value, policy, keepTags: options?.tags === undefined }, writer)
  }

  /** Removes the value everywhere (Redis, every process's L1) and cancels loads in flight for it. One round trip. */
  async delete(params: P): Promise<boolean> {
    this.#assertOpen()
    return this.#writes.delete(this.key(params))
  }

  /** Invalidates every entry carrying any of `tags`: O(1) per tag, however many entries. One round trip. */
  async invalidateTags(tags: readonly string[]): Promise<void> {
    this.#assertOpen()
    const normalized = normalizeTags(tags)
    if (normalized.length === 0) throw invalidArgument('invalidateTags takes a non-empty array of tags')
    await this.#writes.invalidateTags(normalized)
  }

  #assertOpen(): void {
    if (this.#closed) throw cacheError('CACHE_CLOSED', `cache ${this.entry.pattern}: closed`)
  }

  // ---------------------------------------------------------------- lifecycle

  /** @internal createCache: the channel's messages. */
  onChannelMessage(text: string): void {
    const message = parseBusMessage(text)
    if (!message) return
    // Writes, deletes and given-back leases wake this process's waiters for the key.
    if (message.kind !== 't') this.#lease.notify(message.payload)
    // Another process changed it: drop this process's copy. Its own writes updated it already.
    if (message.origin !== this.#core.origin) this.#l1?.onMessage(message)
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
    return this.#core.clock
  }

  /** @internal */
  warn(message: string): void {
    this.#warnings.push(message)
    this.emit('warning', message)
  }

  /** The counters since creation, the L1's size, the channel's and the circuit breaker's state, and warnings. */
  stats(): CacheStats {
    const breaker = this.#core.breaker
    return {
      ...this.#core.counters,
      redisSkipped: breaker?.skipped ?? 0,
      breakerOpens: breaker?.opens ?? 0,
      breaker: breaker?.state ?? 'off',
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
