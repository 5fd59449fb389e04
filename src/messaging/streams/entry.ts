import type { LazySignal } from '../../kit/lazy-signal.js'
import type { StreamEntryInfo } from './worker-options.js'

/**
 * An entry as its handler sees it. A class, not an object literal with a getter: a literal's
 * getter is a new closure per entry, which gives every entry a map (hidden class) of its own.
 */
export class HeldEntry implements StreamEntryInfo {
  readonly id: string
  readonly stream: string
  readonly deliveries: number
  readonly attempt: number
  readonly stalls: number
  readonly #signal: LazySignal

  constructor(
    id: string,
    stream: string,
    deliveries: number,
    attempt: number,
    stalls: number,
    signal: LazySignal,
  ) {
    this.id = id
    this.stream = stream
    this.deliveries = deliveries
    this.attempt = attempt
    this.stalls = stalls
    this.#signal = signal
  }

  get signal(): AbortSignal {
    return this.#signal.signal
  }
}

/** By the consumer's clock, the entry's idle time may reach claimIdleMs before a renewal gets through. */
export function leaseRanOut(stream: string, id: string, claimIdleMs: number): Error {
  return new Error(
    `entry ${id} of ${stream}: this consumer could not renew it within claimIdleMs (${claimIdleMs} ms) — cut off from Redis, or its event loop blocked — and another consumer may claim it now; a failure of this run is not counted`,
  )
}

/** A renewal found the entry pending for another consumer. */
export function claimedElsewhere(stream: string, id: string): Error {
  return new Error(
    `entry ${id} of ${stream} was claimed by another consumer while this one could not renew it: it may be running there now; a failure of this run is not counted`,
  )
}
