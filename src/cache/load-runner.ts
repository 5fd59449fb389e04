import { jitteredTtl } from '../common/ttl.js'
import type { CacheCall, LoadGrant } from './call.js'
import type { CacheCore } from './core.js'
import { encodeEnvelope } from './envelope.js'
import type { L1Tier } from './l1-tier.js'
import { type Loaded, runLoad } from './load.js'
import { absent, type Served } from './served.js'

/**
 * Runs one load for a caller that may load (it won the lease, or its wait ran out) and commits
 * the result: the loader under the call's timeouts (`runLoad`), then the commit script — which
 * writes only if the generation is still the one the load started from — or the lease given
 * back when nothing is to be written. Answers the loaded value, or the stale one.
 */
export class LoadRunner<P, V> {
  readonly #core: CacheCore<V>
  readonly #l1: L1Tier<V> | null

  constructor(core: CacheCore<V>, l1: L1Tier<V> | null) {
    this.#core = core
    this.#l1 = l1
  }

  async load(call: CacheCall<P, V>, grant: LoadGrant<V>): Promise<Served<V>> {
    const core = this.#core
    const { key, policy } = call
    core.counters.loads++
    const startedAt = Date.now()
    let written: Served<V> | null = null
    const outcome = await runLoad<P, V>(
      {
        key,
        params: call.params,
        loader: call.loader,
        stale: grant.stale,
        softTimeoutMs: policy.softTimeoutMs,
        hardTimeoutMs: policy.hardTimeoutMs,
        staleIfError: policy.staleIfError,
        finish: async (loaded) => {
          written = await this.#commit(call, grant, loaded, startedAt)
        },
        abandon: () => (grant.token === '' ? Promise.resolve() : core.redis.release(key, grant.token)),
      },
      (ms, error) => {
        if (error !== null) core.counters.loadErrors++
        core.events.emit('load', key, ms, error)
      },
    ).catch((error: unknown) => {
      if ((error as { code?: string }).code === 'CACHE_LOAD_TIMEOUT') core.counters.loadTimeouts++
      throw error
    })
    if (outcome.kind === 'loaded') return written ?? absent(grant.waited)
    if ((outcome.error as { code?: string } | null)?.code === 'CACHE_LOAD_TIMEOUT')
      core.counters.loadTimeouts++
    if (outcome.error) core.failed('load', key, outcome.error)
    return core.serveStale(key, grant.stale!, outcome.reason)
  }

  /** Stores a load's result (unless skipped, or invalidated meanwhile) and returns what callers get. */
  async #commit(
    call: CacheCall<P, V>,
    grant: LoadGrant<V>,
    loaded: Loaded<V>,
    startedAt: number,
  ): Promise<Served<V>> {
    const core = this.#core
    const { options, redis } = core
    const { key, policy } = call
    const { token } = grant
    const now = core.clock.now()
    const negative = loaded.negative
    const freshMs = negative
      ? options.negativeTtlMs
      : jitteredTtl(loaded.ttlMs ?? policy.ttlMs, options.jitter, options.random)
    const result: Served<V> = {
      value: loaded.value,
      status: 'miss',
      createdAt: now,
      freshUntil: now + freshMs,
      negative,
      waited: grant.waited,
    }
    // A load that outlived the generation TTL can no longer prove nothing invalidated it.
    const tooLong = Date.now() - startedAt > options.generationTtlMs
    if (loaded.skip || (negative && freshMs === 0) || tooLong) {
      if (token !== '') await redis.release(key, token).catch((error) => core.failed('release', key, error))
      return result
    }
    let envelope: string | Buffer
    try {
      envelope = encodeEnvelope(
        core.codec,
        {
          freshUntil: result.freshUntil,
          createdAt: now,
          loadMs: loaded.loadMs,
          negative,
          stamp: grant.stamp,
        },
        loaded.value,
      )
    } catch (error) {
      // The loader returned something the codec cannot store: callers still get it, the cache stays clean.
      core.failed('encode', key, error)
      if (token !== '') await redis.release(key, token).catch(() => {})
      return result
    }
    const px = freshMs + (negative ? 0 : policy.graceMs)
    try {
      const stored = await redis.commit(key, token, grant.generation, envelope, px)
      if (!stored) {
        core.counters.staleSetsPrevented++
        core.events.emit('staleSetPrevented', key)
      } else this.#l1?.storeOwn(key, result, loaded.loadMs, policy.tags)
    } catch (error) {
      core.failed('commit', key, error)
    }
    return result
  }
}
