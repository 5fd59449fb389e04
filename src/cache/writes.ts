import { jitteredTtl } from '../common/ttl.js'
import { invalidArgument } from '../errors.js'
import type { WriteCall } from './call.js'
import type { CacheCore } from './core.js'
import { encodeEnvelope, stampOf, tagsOfStamp } from './envelope.js'
import { cacheError } from './errors.js'
import type { L1Tier } from './l1-tier.js'
import type { Served } from './served.js'

/**
 * Everything that changes the cache: set, setMany, writeThrough, delete, invalidateTags. Each
 * write bumps the key's generation in the same script that changes the value (a load in flight
 * can then not write over it), publishes on the channel, and keeps this process's L1 current.
 */
export class Writes<V> {
  readonly #core: CacheCore<V>
  readonly #l1: L1Tier<V> | null
  readonly #generationMs: number

  constructor(core: CacheCore<V>, l1: L1Tier<V> | null) {
    this.#core = core
    this.#l1 = l1
    this.#generationMs = core.options.generationTtlMs
  }

  /**
   * One write; with `keepTags`, a stored entry that has tags is not overwritten by the script:
   * their versions are read and the value is written again with them.
   */
  async write(write: WriteCall<V>): Promise<void> {
    const { key, value, policy } = write
    const versions = await this.#core.redis.versions(policy.tags)
    const { envelope, px, served } = this.#envelope(write, versions)
    const kept = await this.#core.redis.write(key, envelope, px, this.#generationMs, write.keepTags)
    if (kept === null) {
      this.#l1?.storeOwn(key, served, 0, policy.tags)
      return
    }
    await this.write({ key, value, policy: { ...policy, tags: tagsOfStamp(kept) }, keepTags: false })
  }

  /** One pipeline per server; the items whose stored entry has tags to keep go again, with them. */
  async writeMany(items: readonly WriteCall<V>[]): Promise<void> {
    const redis = this.#core.redis
    const allTags = [...new Set(items.flatMap((p) => p.policy.tags))].sort()
    const versions = await redis.versions(allTags)
    const writes = items.map((item) => {
      const { key, policy, keepTags } = item
      const { envelope, px, served } = this.#envelope(item, versions)
      return {
        key,
        command: redis.writeCommand(key, envelope, px, this.#generationMs, keepTags),
        result: served,
        policy,
      }
    })
    const kept = await redis.writeMany(writes)
    const again: WriteCall<V>[] = []
    writes.forEach((w, i) => {
      const stamp = kept[i]
      if (stamp === null || stamp === undefined) this.#l1?.storeOwn(w.key, w.result, 0, w.policy.tags)
      else
        again.push({
          key: w.key,
          value: items[i]!.value,
          policy: { ...w.policy, tags: tagsOfStamp(stamp) },
          keepTags: false,
        })
    })
    if (again.length > 0) await this.writeMany(again)
  }

  /** The database write first; the cache changes only if it succeeded. */
  async writeThrough<R>(write: WriteCall<V>, writer: (value: V) => R | Promise<R>): Promise<R> {
    const { key, value } = write
    // Refuse a value the codec cannot store before anything is written anywhere.
    this.#core.codec.encode(value)
    const outcome = await writer(value)
    try {
      await this.write(write)
    } catch (error) {
      this.#l1?.invalidate(key)
      this.#core.failed('writeThrough', key, error)
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

  delete(key: string): Promise<boolean> {
    this.#l1?.invalidate(key)
    return this.#core.redis.delete(key, this.#generationMs)
  }

  async invalidateTags(tags: readonly string[]): Promise<void> {
    await this.#core.redis.bumpTags(tags, this.#core.options.tagRetentionMs)
    this.#l1?.invalidateTags(tags)
  }

  /** The stored form of a written value (jittered TTL, stamped with its tags' versions). */
  #envelope(
    write: WriteCall<V>,
    versions: ReadonlyMap<string, string>,
  ): { envelope: string | Buffer; px: number; served: Served<V> } {
    const { key, value, policy } = write
    if (value === undefined || value === null)
      throw invalidArgument(
        `${key}: cache null/undefined through getOrSet's loader (negative caching), not set`,
        { key },
      )
    const { options, codec, clock } = this.#core
    const now = clock.now()
    const freshMs = jitteredTtl(policy.ttlMs, options.jitter, options.random)
    const served: Served<V> = {
      value,
      status: 'miss',
      createdAt: now,
      freshUntil: now + freshMs,
      negative: false,
      waited: false,
    }
    const envelope = encodeEnvelope(
      codec,
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
}
