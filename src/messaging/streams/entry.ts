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
