import type { LargestKey } from './types.js'

const GAMMA = 1.02
const LOG_GAMMA = Math.log(GAMMA)

/**
 * Quantiles of positive numbers within 1 % relative error in bounded, mergeable memory (a
 * log-bucketed histogram, as DDSketch): a pattern may hold millions of keys, and patterns are
 * merged when pattern inference collapses them.
 */
export class LogSketch {
  readonly #bins = new Map<number, number>()
  #zeros = 0
  #count = 0
  #min = Number.POSITIVE_INFINITY
  #max = 0

  get count(): number {
    return this.#count
  }

  add(value: number): void {
    this.#count++
    if (value < this.#min) this.#min = value
    if (value > this.#max) this.#max = value
    if (value <= 0) {
      this.#zeros++
      return
    }
    const bin = Math.ceil(Math.log(value) / LOG_GAMMA)
    this.#bins.set(bin, (this.#bins.get(bin) ?? 0) + 1)
  }

  merge(other: LogSketch): void {
    this.#count += other.#count
    this.#zeros += other.#zeros
    this.#min = Math.min(this.#min, other.#min)
    this.#max = Math.max(this.#max, other.#max)
    for (const [bin, n] of other.#bins) this.#bins.set(bin, (this.#bins.get(bin) ?? 0) + n)
  }

  /** The q-quantile (0..1), clamped to the exact min and max; null when empty. */
  quantile(q: number): number | null {
    if (this.#count === 0) return null
    if (q <= 0) return this.#min
    if (q >= 1) return this.#max
    const rank = q * (this.#count - 1)
    let seen = this.#zeros
    if (rank < seen) return Math.max(this.#min, 0)
    for (const bin of [...this.#bins.keys()].sort((a, b) => a - b)) {
      seen += this.#bins.get(bin) as number
      if (rank < seen) {
        const estimate = (2 * GAMMA ** bin) / (GAMMA + 1)
        return Math.min(this.#max, Math.max(this.#min, estimate))
      }
    }
    return this.#max
  }

  get min(): number | null {
    return this.#count === 0 ? null : this.#min
  }

  get max(): number | null {
    return this.#count === 0 ? null : this.#max
  }
}

/** The `n` largest keys by memory, largest first. */
export class TopKeys {
  readonly #n: number
  readonly #keys: LargestKey[] = []

  constructor(n: number) {
    this.#n = n
  }

  /** Whether a key of `bytes` would make the list: lets callers skip building the entry. */
  wants(bytes: number): boolean {
    const keys = this.#keys
    return keys.length < this.#n || bytes > (keys[keys.length - 1] as LargestKey).bytes
  }

  add(entry: LargestKey): void {
    const keys = this.#keys
    if (!this.wants(entry.bytes)) return
    let at = keys.length
    while (at > 0 && (keys[at - 1] as LargestKey).bytes < entry.bytes) at--
    keys.splice(at, 0, entry)
    if (keys.length > this.#n) keys.pop()
  }

  merge(other: TopKeys): void {
    for (const entry of other.#keys) this.add(entry)
  }

  get keys(): readonly LargestKey[] {
    return this.#keys
  }
}
