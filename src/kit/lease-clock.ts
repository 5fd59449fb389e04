import { leaseEndsAt } from './lease-end.js'

/**
 * The leases a worker counts on, by its own monotonic clock (`performance.now()`): for each thing
 * it holds (a queue job, a stream entry), the moment its lease may run out on the server —
 * `leaseEndsAt` from the earliest the call that handed it over, or the last renewal that got
 * through, can have run. When that passes with no renewal through, the holder learns it
 * (`onRanOut`, which fires its handler's signal) and no longer counts on it: a worker cut off from
 * Redis learns it before another worker can recover the work as a stall, not when a renewal times
 * out or finds it gone. What ran out is still renewed while its handler runs (it may ignore the
 * signal): a renewal that gets through before another worker recovered it keeps it this
 * worker's alone.
 *
 * When a call ran on the server, by this clock, is known for most calls — no earlier than it was
 * sent. A call queued behind a blocking wait (XREADGROUP BLOCK) runs when the wait ends, up to
 * the wait's timeout later, and a queue job handed to a waiting worker was leased by an add at
 * any moment after the worker registered: for them, a server time read in the same turn (TIME)
 * is mapped to this clock through an upper bound of (server clock − this clock) that every call
 * refreshes (`startOf`). One timer serves every lease, armed at the earliest end.
 */
export class LeaseClock<K> {
  readonly #leaseMs: number
  readonly #onRanOut: (held: K) => void
  /** What this worker holds and counts on, and when that ends (monotonic ms). */
  readonly #ends = new Map<K, number>()
  /** What it holds whose lease ran out by this clock: renewed still, never counted on again. */
  readonly #lapsed = new Set<K>()
  #timer: NodeJS.Timeout | undefined
  #armedFor = Number.POSITIVE_INFINITY
  /** An upper bound of (server clock − this clock), ms: a call's server time less the earliest it ran. */
  #offsetBound = Number.POSITIVE_INFINITY

  /** `leaseMs`: how long a lease lasts from its start without renewal (a job's lease, a stream's claimIdleMs). */
  constructor(leaseMs: number, onRanOut: (held: K) => void) {
    this.#leaseMs = leaseMs
    this.#onRanOut = onRanOut
  }

  /**
   * When the leases a call handed out began, at the earliest, by this clock; the call's server
   * time (`serverNow`: TIME in its script, or right behind it) refreshes the mapping. A call
   * that did not wait ran no earlier than it was sent; one whose wait timed out, no earlier than
   * `waitMs` after; one whose wait something ended (an add, an entry), at a moment only its server
   * time tells — mapped through the bound, and never before the call was sent nor after its reply
   * came (`receivedAt`). (For a job an add handed over, `sentAt` is the send of the call that
   * registered the worker as idle: the add cannot have run before it.)
   */
  startOf(call: {
    readonly serverNow: number
    readonly sentAt: number
    readonly receivedAt: number
    readonly waitMs: number
    readonly woken: boolean
  }): number {
    const { serverNow, sentAt, waitMs } = call
    if (waitMs === 0 || !call.woken) {
      // It ran once the wait timed out (a due delayed job can be handed over then), not before —
      // unless its reply came sooner than that by this clock, when only the send is certain.
      const ranFrom = sentAt + waitMs <= call.receivedAt ? sentAt + waitMs : sentAt
      this.#offsetBound = serverNow - ranFrom
      return ranFrom
    }
    // This call's own bound is loose (it may have waited): it replaces the freshest one only if
    // tighter — which also keeps the start from falling before the send.
    this.#offsetBound = Math.min(this.#offsetBound, serverNow - sentAt)
    return Math.min(call.receivedAt, serverNow - this.#offsetBound)
  }

  /** Held from now on, with leases that began no earlier than `startedAt` (this clock). */
  began(items: readonly K[], startedAt: number): void {
    const end = leaseEndsAt(startedAt, this.#leaseMs)
    for (const held of items) this.#ends.set(held, end)
    if (items.length > 0 && end < this.#armedFor) this.#arm(end)
  }

  /**
   * A renewal sent at `sentAt` extended these leases (a late reply never shortens one). One sent
   * after a lease's end by this clock extends nothing: the lease may have run out on the server
   * before it ran, and the work been recovered meanwhile — its reply can come in before the
   * timer's check is judged (#fired), when the event loop was held past the end.
   */
  renewed(items: readonly K[], sentAt: number): void {
    const end = leaseEndsAt(sentAt, this.#leaseMs)
    for (const held of items) {
      const current = this.#ends.get(held)
      if (current !== undefined && current > sentAt && current < end) this.#ends.set(held, end)
    }
  }

  /** What to renew: everything held, its lease counted on or lapsed. */
  live(): K[] {
    return [...this.#ends.keys(), ...this.#lapsed]
  }

  /** Whether the lease of `held` is counted on (held, and not lapsed). */
  counts(held: K): boolean {
    return this.#ends.has(held)
  }

  /** `held` ended, or was found lost: whether its lease was counted on until now (not lapsed). */
  end(held: K): boolean {
    this.#lapsed.delete(held)
    return this.#ends.delete(held)
  }

  /** The worker is closed: no lease is counted on any more, and the timer stops. */
  clear(): void {
    this.#ends.clear()
    this.#lapsed.clear()
    clearTimeout(this.#timer)
    this.#timer = undefined
    this.#armedFor = Number.POSITIVE_INFINITY
  }

  #arm(at: number): void {
    clearTimeout(this.#timer)
    this.#armedFor = at
    this.#timer = setTimeout(() => this.#fired(), Math.max(0, at - performance.now()))
    this.#timer.unref()
  }

  /**
   * The timer fired: the leases are judged in the check phase, after this turn's I/O. When a
   * handler held the event loop past a lease's end, a renewal's reply that arrived meanwhile is
   * read first (timers run before I/O).
   */
  #fired(): void {
    this.#timer = undefined
    this.#armedFor = Number.POSITIVE_INFINITY
    setImmediate(() => this.#check())
  }

  /** Leases that ran out go to `onRanOut`; the timer is armed for the next end. */
  #check(): void {
    const now = performance.now()
    let next = Number.POSITIVE_INFINITY
    for (const [held, end] of this.#ends) {
      if (end <= now) {
        this.#ends.delete(held)
        this.#lapsed.add(held)
        this.#onRanOut(held)
      } else if (end < next) next = end
    }
    if (next < Number.POSITIVE_INFINITY) this.#arm(next)
  }
}
