/**
 * Deadlines for commands whose replies may come back in any order (a Cluster client talks
 * to several nodes at once), without a timer per command.
 *
 * Each command bumps a counter in the bucket of its deadline, rounded up to a tick, and
 * takes it back when answered. The client's sweep asks, once per tick, whether a bucket
 * whose deadline has passed still holds commands. Costs a closure per command, which
 * OrderedInFlight avoids where replies are ordered (one connection).
 */
export class BucketedDeadlines {
  readonly #tickMs: number
  readonly #pending = new Map<number, number>()

  constructor(tickMs: number) {
    this.#tickMs = tickMs
  }

  /** The bucket of a command due at `deadline` (absolute ms). */
  track(deadline: number): number {
    const tick = Math.ceil(deadline / this.#tickMs)
    this.#pending.set(tick, (this.#pending.get(tick) ?? 0) + 1)
    return tick
  }

  done(tick: number): void {
    const left = (this.#pending.get(tick) ?? 1) - 1
    if (left === 0) this.#pending.delete(tick)
    else this.#pending.set(tick, left)
  }

  isOverdue(tick: number, now: number): boolean {
    return tick * this.#tickMs <= now
  }

  /** True when a bucket past its deadline still holds commands. */
  sweep(now: number): boolean {
    for (const tick of this.#pending.keys()) if (tick * this.#tickMs <= now) return true
    return false
  }
}

/** A tick fine enough for the timeout's precision yet coarse enough to cost nothing: 1/20 of it, 5–250 ms. */
export function tickFor(timeoutMs: number): number {
  return Math.min(250, Math.max(5, Math.round(timeoutMs / 20)))
}

/**
 * Time as commands experience it: wall time, except that a stretch in which this process's
 * event loop did not turn counts as two ticks at most. Replies that arrived meanwhile sit
 * unread in the socket, so a process that was busy (a long synchronous loop, a GC pause)
 * must not blame the server and time out commands it has not had the chance to read.
 * Advanced once per tick by the client's sweep; reading it costs no clock call.
 */
export class LoopClock {
  readonly tickMs: number
  #now: number
  #last: number

  constructor(tickMs: number) {
    this.tickMs = tickMs
    this.#now = Date.now()
    this.#last = this.#now
  }

  /** Effective now, as of the last sweep (at most one tick behind). */
  get now(): number {
    return this.#now
  }

  /** A deadline `ms` from now, one tick late rather than ever early. */
  deadline(ms: number): number {
    return this.#now + this.tickMs + ms
  }

  advance(): number {
    const wall = Date.now()
    this.#now += Math.min(Math.max(0, wall - this.#last), 2 * this.tickMs)
    this.#last = wall
    return this.#now
  }
}
