/**
 * What travels on a cache's channel, one line per event: `<kind>|<origin>|<payload>`.
 * - `s|o|key` a value was written (load committed, set, writeThrough)
 * - `d|o|key` a value was deleted
 * - `r|o|key` a load gave its lease back without a value (loader failed or skipped)
 * - `t|o|tag\ntag…` tags were invalidated (escaped tags)
 * Origins never contain `|`; keys may (it is a key delimiter), so the payload is everything
 * after the second `|`. Escaped tags never contain a newline.
 */
export type BusKind = 's' | 'd' | 'r' | 't'

export interface BusMessage {
  readonly kind: BusKind
  readonly origin: string
  readonly payload: string
}

export function busMessage(kind: BusKind, origin: string, payload: string): string {
  return `${kind}|${origin}|${payload}`
}

export function parseBusMessage(text: string): BusMessage | null {
  const kind = text[0]
  if (text[1] !== '|' || (kind !== 's' && kind !== 'd' && kind !== 'r' && kind !== 't')) return null
  const second = text.indexOf('|', 2)
  if (second < 0) return null
  return { kind, origin: text.slice(2, second), payload: text.slice(second + 1) }
}

/** One caller waiting for another process's load of a key. Registered before asking for the lease. */
export interface Waiter {
  /** Resolves true when notified (possibly before this call), false after `ms`. */
  wait(ms: number): Promise<boolean>
  cancel(): void
}

/** Waiters by key, woken by the channel's s/d/r messages: notified, never polling. */
export class Waiters {
  readonly #byKey = new Map<string, Set<() => void>>()

  register(key: string): Waiter {
    let notified = false
    let resolve: ((value: boolean) => void) | null = null
    const wake = () => {
      notified = true
      resolve?.(true)
    }
    let set = this.#byKey.get(key)
    if (!set) {
      set = new Set()
      this.#byKey.set(key, set)
    }
    set.add(wake)
    const cancel = () => {
      const current = this.#byKey.get(key)
      if (!current) return
      current.delete(wake)
      if (current.size === 0) this.#byKey.delete(key)
    }
    return {
      cancel,
      wait: (ms) => {
        if (notified) {
          cancel()
          return Promise.resolve(true)
        }
        return new Promise<boolean>((done) => {
          const timer = setTimeout(() => {
            cancel()
            done(false)
          }, ms)
          resolve = (value) => {
            clearTimeout(timer)
            cancel()
            done(value)
          }
        })
      },
    }
  }

  wake(key: string): void {
    const set = this.#byKey.get(key)
    if (!set) return
    for (const wake of [...set]) wake()
  }

  get size(): number {
    return this.#byKey.size
  }
}
