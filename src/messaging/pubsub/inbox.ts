/**
 * A subscription's queue between the socket and its handler. Messages are handled one at a
 * time, in order; while a slow handler runs, new ones wait here — at most `limit` of them, so a
 * slow subscriber cannot grow the process's memory without bound:
 * - `drop-oldest`: the oldest waiting message is discarded and counted (`dropped`): the
 *   subscriber stays current, as a live feed wants;
 * - `disconnect`: the subscription ends with PUBSUB_OVERFLOW: the subscriber learns at once
 *   that it missed messages (then resynchronises from the source of truth).
 * (Redis itself bounds the other side: `client-output-buffer-limit pubsub` disconnects a
 * subscriber connection whose unread replies pile up on the server.)
 */
export type OverflowPolicy = 'drop-oldest' | 'disconnect'

export class Inbox<M> {
  readonly #limit: number
  readonly #policy: OverflowPolicy
  readonly #handle: (message: M) => Promise<void> | void
  readonly #onError: (error: unknown) => void
  readonly #onOverflow: () => void
  // A ring would avoid shift()'s copy; at these sizes (≤ limit, default 1000) shift is cheap.
  #queue: M[] = []
  #running = false
  #closed = false
  dropped = 0
  delivered = 0

  constructor(
    limit: number,
    policy: OverflowPolicy,
    handle: (message: M) => Promise<void> | void,
    onError: (error: unknown) => void,
    onOverflow: () => void,
  ) {
    this.#limit = limit
    this.#policy = policy
    this.#handle = handle
    this.#onError = onError
    this.#onOverflow = onOverflow
  }

  get waiting(): number {
    return this.#queue.length
  }

  push(message: M): void {
    if (this.#closed) return
    if (this.#queue.length >= this.#limit) {
      if (this.#policy === 'disconnect') {
        this.close()
        this.#onOverflow()
        return
      }
      this.#queue.shift()
      this.dropped++
    }
    this.#queue.push(message)
    if (!this.#running) void this.#drain()
  }

  close(): void {
    this.#closed = true
    this.#queue = []
  }

  async #drain(): Promise<void> {
    this.#running = true
    while (this.#queue.length > 0 && !this.#closed) {
      const message = this.#queue.shift() as M
      try {
        await this.#handle(message)
        this.delivered++
      } catch (error) {
        this.#onError(error)
      }
    }
    this.#running = false
  }
}
