import { leaseEndsAt } from '../kit/lease-end.js'
import type { Taken } from './attempt.js'

/**
 * The job leases a worker counts on, by its own monotonic clock (`performance.now()`): for each
 * running job, the moment its lease may run out on the server — `leaseEndsAt` from the earliest
 * the take or the last renewal that got through can have run. When that passes with no renewal
 * through, the job is handed to `onRanOut` (which fires its handler's signal) and no longer
 * counted on: a worker cut off from Redis learns it before another worker can recover the job
 * as a stall, not when a renewal times out or finds the job gone. Such a job is still renewed
 * while its handler runs (it may ignore the signal): a renewal that gets through before another
 * worker recovered the job keeps it this worker's alone.
 *
 * When a call ran on the server, by this clock, is known for most calls — no earlier than it was
 * sent. A take queued behind a blocking wait (BLPOP) runs when an add wakes it, up to pollMs
 * later: for it, the take's own server time (TIME) is mapped to this clock through an upper
 * bound of (server clock − this clock) that every take refreshes (`startOf`). One timer serves
 * every lease, armed at the earliest end.
 */
export class JobLeases {
  readonly #leaseMs: number
  readonly #onRanOut: (taken: Taken, reason: Error) => void
  /** Running jobs whose lease this worker counts on, and when that ends (monotonic ms). */
  readonly #ends = new Map<Taken, number>()
  /** Running jobs whose lease ran out by this clock: renewed still, never counted on again. */
  readonly #lapsed = new Set<Taken>()
  #timer: NodeJS.Timeout | undefined
  #armedFor = Number.POSITIVE_INFINITY
  /** An upper bound of (server clock − this clock), ms: a call's server time less the earliest it ran. */
  #offsetBound = Number.POSITIVE_INFINITY

  constructor(leaseMs: number, onRanOut: (taken: Taken, reason: Error) => void) {
    this.#leaseMs = leaseMs
    this.#onRanOut = onRanOut
  }

  /**
   * When the leases a take call handed out began, at the earliest, by this clock; the call's
   * server time (`serverNow`, TIME in the script) refreshes the mapping. A call that did not wait
   * ran no earlier than it was sent; one whose wait timed out, no earlier than `waitMs` after;
   * one woken by an add, at a moment only its server time tells — mapped through the bound, and
   * never before the call was sent nor after its reply came (`receivedAt`).
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
      this.#offsetBound = serverNow - (sentAt + waitMs)
      return sentAt
    }
    // This call's own bound is loose (it may have waited): it replaces the freshest one only if
    // tighter — which also keeps the start from falling before the send.
    this.#offsetBound = Math.min(this.#offsetBound, serverNow - sentAt)
    return Math.min(call.receivedAt, serverNow - this.#offsetBound)
  }

  /** Jobs whose lease began no earlier than `startedAt` (this clock). */
  began(jobs: readonly Taken[], startedAt: number): void {
    const end = leaseEndsAt(startedAt, this.#leaseMs)
    for (const taken of jobs) this.#ends.set(taken, end)
    if (jobs.length > 0 && end < this.#armedFor) this.#arm(end)
  }

  /** A renewal sent at `sentAt` extended these jobs' leases (a late reply never shortens one). */
  renewed(jobs: readonly Taken[], sentAt: number): void {
    const end = leaseEndsAt(sentAt, this.#leaseMs)
    for (const taken of jobs) {
      const current = this.#ends.get(taken)
      if (current !== undefined && current < end) this.#ends.set(taken, end)
    }
  }

  /** The jobs to renew: every running one, its lease counted on or lapsed. */
  live(): Taken[] {
    return [...this.#ends.keys(), ...this.#lapsed]
  }

  /** `taken` ended, or was found lost: whether its lease was counted on until now (not lapsed). */
  end(taken: Taken): boolean {
    this.#lapsed.delete(taken)
    return this.#ends.delete(taken)
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
    this.#timer = setTimeout(() => this.#check(), Math.max(0, at - performance.now()))
    this.#timer.unref()
  }

  /** The timer fired: leases that ran out go to `onRanOut`; the timer is armed for the next end. */
  #check(): void {
    this.#timer = undefined
    this.#armedFor = Number.POSITIVE_INFINITY
    const now = performance.now()
    let next = Number.POSITIVE_INFINITY
    for (const [taken, end] of this.#ends) {
      if (end <= now) {
        this.#ends.delete(taken)
        this.#lapsed.add(taken)
        this.#onRanOut(
          taken,
          new Error(
            `the lease of job ${taken.id} ran out (${this.#leaseMs} ms after the take or the last renewal that got through) while this worker could not renew it: another worker may recover the job as a stall and run it; a failure of this attempt is not counted`,
          ),
        )
      } else if (end < next) next = end
    }
    if (next < Number.POSITIVE_INFINITY) this.#arm(next)
  }
}

/** A renewal found the job's lease no longer this worker's: the job was recovered as a stall. */
export function takenOver(taken: Taken): Error {
  return new Error(
    `the lease of job ${taken.id} ran out while this worker could not renew it, and the job was recovered as a stall: it may be running elsewhere now, and this attempt's outcome will not be recorded`,
  )
}
