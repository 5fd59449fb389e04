import { Waiters } from './bus.js'
import type { CacheCall } from './call.js'
import type { CacheCore } from './core.js'
import { decodeEnvelope, type Stored, stampOf } from './envelope.js'
import { cacheError } from './errors.js'
import type { LoadRunner } from './load-runner.js'
import type { Outage } from './outage.js'
import { type Served, served } from './served.js'
import type { LeaseReply, ReadResult } from './store.js'

/**
 * The cross-process layer of a miss: ask for the lease (registering as a waiter first, so that
 * the winner's notification cannot slip between the question and the wait); load if it is won;
 * otherwise serve stale at once, or wait to be notified and read again. Waiters are woken by
 * the channel (`notify`), never by polling; a wait is bounded by `lease.waitMs`.
 */
export class LeaseFlow<P, V> {
  readonly #core: CacheCore<V>
  readonly #runner: LoadRunner<P, V>
  readonly #outage: Outage<P, V>
  readonly #waiters = new Waiters()
  readonly #ttlMs: number
  readonly #waitMs: number
  readonly #failOnTimeout: boolean

  constructor(core: CacheCore<V>, runner: LoadRunner<P, V>, outage: Outage<P, V>) {
    this.#core = core
    this.#runner = runner
    this.#outage = outage
    this.#ttlMs = core.options.lease.ttlMs
    this.#waitMs = core.options.lease.waitMs
    this.#failOnTimeout = core.options.lease.onTimeout === 'error'
  }

  /** A value was written, deleted or given back for `key` (a message on the channel). */
  notify(key: string): void {
    this.#waiters.wake(key)
  }

  /**
   * The miss `read` found (absent, expired, invalidated or corrupt), resolved across processes:
   * a value someone filled meanwhile, this caller's own load, the stale value, or a wait.
   */
  async resolve(call: CacheCall<P, V>, read: ReadResult<V>): Promise<Served<V>> {
    const core = this.#core
    const { key, policy } = call
    // Present but expired: kept by grace, servable stale.
    const stale: Stored<V> | null = read.valid ? read.stored : null
    const stamp = stampOf(policy.tags, read.versions)
    // '-' asks the lease script to ignore what is stored (it does not decode): a corrupt value
    // is reloaded over.
    let force = read.corrupt !== null
    const token = core.token()
    const deadline = Date.now() + this.#waitMs
    let waited = false
    for (;;) {
      const waiter = this.#waiters.register(key)
      let lease: LeaseReply
      try {
        lease = await core.redis.lease(key, token, this.#ttlMs, core.clock.now(), force ? '-' : stamp)
      } catch (error) {
        waiter.cancel()
        return this.#outage.getOrSet(call, error, stale)
      }
      if (lease.status === 'fresh') {
        // Filled meanwhile, carrying the tag versions this caller read: serve it.
        waiter.cancel()
        let stored: Stored<V>
        try {
          stored = decodeEnvelope(core.codec, lease.reply, key)
        } catch (error) {
          core.failed('decode', key, error)
          force = true
          continue
        }
        core.countHit(key, stored, 'redis')
        return served(stored, 'hit', waited)
      }
      if (lease.status === 'won') {
        waiter.cancel()
        return this.#runner.load(call, { token, generation: lease.generation, stamp, stale, waited })
      }
      core.counters.leaseWaits++
      if (stale) {
        // Someone else is refreshing it: the stale value now beats waiting (stale-while-revalidate).
        waiter.cancel()
        return core.serveStale(key, stale, 'lease')
      }
      const started = Date.now()
      const remaining = deadline - started
      const notified = await waiter.wait(Math.max(0, remaining))
      waited = true
      core.events.emit('leaseWait', key, Date.now() - started, notified)
      if (!notified) {
        core.counters.leaseTimeouts++
        if (this.#failOnTimeout)
          throw cacheError(
            'CACHE_LEASE_TIMEOUT',
            `${key}: another process has been loading it for over ${this.#waitMs} ms`,
            { details: { key, waitMs: this.#waitMs } },
          )
        // Load ourselves, without the lease; the generation still guards the write.
        return this.#runner.load(call, {
          token: '',
          generation: lease.generation,
          stamp,
          stale: null,
          waited,
        })
      }
      let again: ReadResult<V>
      try {
        again = await core.redis.read(key, policy.tags)
      } catch (error) {
        return this.#outage.getOrSet(call, error, stale)
      }
      const stored = again.valid ? again.stored : null
      if (stored && stored.freshUntil > core.clock.now()) {
        core.countHit(key, stored, 'redis')
        return served(stored, 'hit', true)
      }
      // The loader failed or the value was invalidated: try for the lease again.
    }
  }
}
