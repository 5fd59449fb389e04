/**
 * Command timeouts without a timer per command.
 *
 * node-redis's own per-command timeout arms an `AbortSignal.timeout` for every command,
 * which costs 1.5–3.4× throughput. Here each command only bumps a counter in the bucket of
 * its deadline (deadlines rounded up to a tick); one interval timer advances a coarse clock
 * and looks for a bucket whose deadline has passed with commands still in it. Replies on a
 * connection are ordered, so an overdue command means the connection is stuck: the owner
 * is told (`onOverdue`) and recycles it, which fails every command it holds.
 */
export class DeadlineTracker {
  readonly #tickMs: number
  readonly #pending = new Map<number, number>()
  readonly #timer: NodeJS.Timeout
  readonly #onOverdue: () => void
  #now = Date.now()

  constructor(tickMs: number, onOverdue: () => void) {
    this.#tickMs = tickMs
    this.#onOverdue = onOverdue
    this.#timer = setInterval(() => this.#sweep(), tickMs)
    // The sweep must never keep the process alive on its own.
    this.#timer.unref()
  }

  /** The tick a command sent now with this timeout must be answered by. */
  track(timeoutMs: number): number {
    const tick = Math.ceil((this.#now + timeoutMs) / this.#tickMs)
    this.#pending.set(tick, (this.#pending.get(tick) ?? 0) + 1)
    return tick
  }

  done(tick: number): void {
    const left = (this.#pending.get(tick) ?? 1) - 1
    if (left === 0) this.#pending.delete(tick)
    else this.#pending.set(tick, left)
  }

  /** True when a command tracked with this tick is past its deadline (to the tick's precision). */
  isOverdue(tick: number): boolean {
    return tick * this.#tickMs <= Date.now()
  }

  /** Milliseconds left before this tick's deadline (0 when past). */
  remainingMs(tick: number): number {
    return Math.max(0, tick * this.#tickMs - Date.now())
  }

  get pendingCount(): number {
    let total = 0
    for (const count of this.#pending.values()) total += count
    return total
  }

  stop(): void {
    clearInterval(this.#timer)
  }

  #sweep(): void {
    this.#now = Date.now()
    const expired = Math.floor(this.#now / this.#tickMs)
    for (const tick of this.#pending.keys()) {
      if (tick <= expired) {
        this.#onOverdue()
        return
      }
    }
  }
}

/** A tick fine enough for the timeout's precision yet coarse enough to cost nothing: 1/20 of it, 5–250 ms. */
export function tickFor(timeoutMs: number): number {
  return Math.min(250, Math.max(5, Math.round(timeoutMs / 20)))
}
