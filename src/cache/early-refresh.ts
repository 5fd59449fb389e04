import type { CacheCall } from './call.js'
import type { CacheCore } from './core.js'
import { type Stored, stampOf } from './envelope.js'
import type { L1Entry } from './l1.js'
import type { LoadRunner } from './load-runner.js'
import { type EarlyRefreshPolicy, shouldRefreshEarly } from './refresh.js'

/** Past this many keys remembered as busy elsewhere, the memory resets. */
const BUSY_CAP = 10_000

/**
 * Early refresh: a fresh hit (Redis or L1) may start one background reload before expiry
 * (`shouldRefreshEarly`). The reload takes the lease regardless of freshness, so one process in
 * the fleet refreshes; when another holds it, this process does not ask again for that key
 * until the lease expires. Nobody waits on a refresh: no soft timeout, errors only reported.
 */
export class EarlyRefresh<P, V> {
  readonly #core: CacheCore<V>
  readonly #runner: LoadRunner<P, V>
  readonly #policy: EarlyRefreshPolicy | null
  readonly #random: () => number
  readonly #leaseMs: number
  readonly #running = new Set<string>()
  /** Keys whose lease another process holds, until when: early refresh does not ask again. */
  readonly #busyUntil = new Map<string, number>()

  constructor(core: CacheCore<V>, runner: LoadRunner<P, V>) {
    this.#core = core
    this.#runner = runner
    this.#policy = core.options.earlyRefresh
    this.#random = core.options.random
    this.#leaseMs = core.options.lease.ttlMs
  }

  /** Called on every fresh hit of a getOrSet: starts the background reload when it is due. */
  consider(call: CacheCall<P, V>, stored: Stored<V> | L1Entry<V>, now = this.#core.clock.now()): void {
    const policy = this.#policy
    if (!policy) return
    if (!shouldRefreshEarly(policy, now, stored.createdAt, stored.freshUntil, stored.loadMs, this.#random))
      return
    const key = call.key
    if (this.#running.has(key)) return
    const busy = this.#busyUntil.get(key)
    if (busy !== undefined) {
      if (busy > now) return
      this.#busyUntil.delete(key)
    }
    this.#running.add(key)
    this.#refresh(call, stored)
      .catch((error) => this.#core.failed('refresh', key, error))
      .finally(() => this.#running.delete(key))
  }

  async #refresh(call: CacheCall<P, V>, current: Stored<V> | L1Entry<V>): Promise<void> {
    const core = this.#core
    const { key, policy } = call
    const versions = await core.redis.versions(policy.tags)
    const stamp = stampOf(policy.tags, versions)
    const token = core.token()
    const lease = await core.redis.lease(key, token, this.#leaseMs, core.clock.now(), '-')
    if (lease.status !== 'won') {
      if (this.#busyUntil.size > BUSY_CAP) this.#busyUntil.clear()
      this.#busyUntil.set(key, core.clock.now() + (lease.status === 'held' ? lease.pttl : 0))
      return
    }
    core.counters.earlyRefreshes++
    core.events.emit('earlyRefresh', key)
    const stale: Stored<V> = { ...current, stamp }
    await this.#runner.load(
      { ...call, policy: { ...policy, softTimeoutMs: null, staleIfError: true } },
      { token, generation: lease.generation, stamp, stale, waited: false },
    )
  }
}
