import type { BatchOptions, CallOptions, Command, Executor, Reply } from '../common/types.js'
import { RedisExpertError } from '../errors.js'
import { isUnavailable } from './errors.js'

/** closed: Redis is asked; open: skipped until the cool-down ends; half-open: one call probes. */
export type BreakerState = 'closed' | 'open' | 'half-open'

export interface BreakerSettings {
  /** Consecutive connection failures (down, lost, timed out) that open it. */
  readonly failures: number
  /** How long Redis is skipped once open, before one call probes it. */
  readonly coolDownMs: number
}

/**
 * The cache's circuit breaker around Redis (bentocache has one for its L2). While Redis answers,
 * it only counts. After `failures` consecutive connection failures it opens: every cache call to
 * Redis fails at once with CONNECTION_UNAVAILABLE (`details.breaker: 'open'`), which the cache
 * answers from L1, a stale value or the loader — instead of each call waiting the client's
 * offline wait. After `coolDownMs` it lets one call through (half-open; the others keep being
 * skipped meanwhile): a reply of any kind closes it, a connection failure opens it again.
 *
 * An error reply (NOSCRIPT, WRONGTYPE, OOM) is an answer: Redis is up, so it counts as success.
 */
export class CircuitBreaker {
  readonly #settings: BreakerSettings
  readonly #changed: (state: BreakerState, error: unknown) => void
  readonly #now: () => number
  #state: BreakerState = 'closed'
  #failures = 0
  #retryAt = 0
  #probing = false
  #opens = 0
  #skipped = 0

  constructor(
    settings: BreakerSettings,
    changed: (state: BreakerState, error: unknown) => void,
    now: () => number = Date.now,
  ) {
    this.#settings = settings
    this.#changed = changed
    this.#now = now
  }

  get state(): BreakerState {
    return this.#state
  }

  /** Times it opened. */
  get opens(): number {
    return this.#opens
  }

  /** Calls it answered without asking Redis. */
  get skipped(): number {
    return this.#skipped
  }

  /** An executor whose calls pass through the breaker. */
  wrap(db: Executor): Executor {
    const ok = () => this.#succeeded()
    const failed = (error: unknown) => this.#failed(error)
    const through = <T>(run: () => Promise<T>): Promise<T> => {
      const probe = this.#admit()
      if (probe === null) return Promise.reject(this.#skip())
      if (probe) this.#probing = true
      const pending = run()
      // A side branch: the caller's own chain gets no extra step on the hit path.
      pending.then(ok, failed)
      return pending
    }
    return {
      call: <T extends Reply = Reply>(command: Command, options?: CallOptions) =>
        through(() => db.call<T>(command, options)),
      batch: (commands: readonly Command[], options?: BatchOptions) =>
        through(() => db.batch(commands, options)),
    }
  }

  /** false: a normal call; true: the half-open probe; null: skip Redis. */
  #admit(): boolean | null {
    if (this.#state === 'closed') return false
    if (this.#state === 'open') {
      if (this.#now() < this.#retryAt) return null
      this.#set('half-open', null)
    }
    // Half-open: one probe at a time.
    return this.#probing ? null : true
  }

  #skip(): RedisExpertError {
    this.#skipped++
    const inMs = Math.max(0, this.#retryAt - this.#now())
    return new RedisExpertError(
      'CONNECTION_UNAVAILABLE',
      `Redis skipped: the cache's circuit breaker opened after ${this.#settings.failures} consecutive connection failures; ${this.#state === 'half-open' ? 'a probe is in flight' : `it probes again in ${inMs} ms`}`,
      { details: { breaker: 'open', retryInMs: inMs } },
    )
  }

  #succeeded(): void {
    this.#failures = 0
    this.#probing = false
    if (this.#state !== 'closed') this.#set('closed', null)
  }

  #failed(error: unknown): void {
    if (!isUnavailable(error)) {
      this.#succeeded()
      return
    }
    this.#probing = false
    this.#failures++
    if (
      this.#state === 'half-open' ||
      (this.#state === 'closed' && this.#failures >= this.#settings.failures)
    ) {
      this.#retryAt = this.#now() + this.#settings.coolDownMs
      this.#opens++
      this.#set('open', error)
    }
  }

  #set(state: BreakerState, error: unknown): void {
    this.#state = state
    this.#changed(state, error)
  }
}
