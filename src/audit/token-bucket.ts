import { setTimeout as sleep } from 'node:timers/promises'

/**
 * Caps the audit's load on a server: commands are paid for with tokens refilled at `rate` per
 * second. A batch may overdraw (it is sent whole), and the debt is waited out before the next
 * one, so the average never exceeds the rate and no batch is split.
 */
export class TokenBucket {
  readonly rate: number
  readonly #capacity: number
  readonly #now: () => number
  #tokens: number
  #at: number

  constructor(rate: number, now: () => number = () => performance.now()) {
    this.rate = rate
    // A tenth of a second of credit at most: an idle pause does not buy a burst later.
    this.#capacity = Math.max(1, rate / 10)
    this.#now = now
    this.#tokens = this.#capacity
    this.#at = now()
  }

  /** Spends `n` tokens; returns the milliseconds to wait before sending what they pay for. */
  reserve(n: number): number {
    const now = this.#now()
    this.#tokens = Math.min(this.#capacity, this.#tokens + ((now - this.#at) * this.rate) / 1000)
    this.#at = now
    this.#tokens -= n
    return this.#tokens >= 0 ? 0 : (-this.#tokens / this.rate) * 1000
  }

  async take(n: number): Promise<void> {
    const wait = this.reserve(n)
    if (wait > 0) await sleep(wait)
  }
}
