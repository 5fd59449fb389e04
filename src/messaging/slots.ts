/**
 * Counts handlers in flight against a limit, and lets a loop wait for a free slot without
 * polling: the read loop only asks Redis for as many entries as it can start at once.
 */
export class Slots {
  readonly limit: number
  #used = 0
  #waiters: (() => void)[] = []
  #idle: (() => void)[] = []

  constructor(limit: number) {
    this.limit = limit
  }

  get used(): number {
    return this.#used
  }

  get free(): number {
    return this.limit - this.#used
  }

  take(): void {
    this.#used++
  }

  release(): void {
    this.#used--
    this.wake()
    if (this.#used === 0) for (const resolve of this.#idle.splice(0)) resolve()
  }

  /** Resolves when a slot is free (at once if one is), or on `wake()` (shutdown). */
  waitFree(): Promise<void> {
    if (this.#used < this.limit) return Promise.resolve()
    return new Promise((resolve) => this.#waiters.push(resolve))
  }

  /** Resolves when nothing is in flight. */
  drained(): Promise<void> {
    if (this.#used === 0) return Promise.resolve()
    return new Promise((resolve) => this.#idle.push(resolve))
  }

  wake(): void {
    for (const resolve of this.#waiters.splice(0)) resolve()
  }
}
