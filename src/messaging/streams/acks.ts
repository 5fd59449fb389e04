/**
 * Acknowledgements of one tick leave as one XACK: XACK takes any number of ids, and handlers
 * that finish together (a batch read together, quick handlers) would otherwise cost one command
 * each. Each caller still learns whether its own acknowledgement reached the server: they share
 * the outcome of the XACK that carried their id.
 *
 * Delivery stays at-least-once: an id whose XACK failed (or never left because the process died)
 * stays in the consumer's pending list and is recovered like any unacknowledged entry.
 */
export class AckBatcher {
  readonly #send: (ids: readonly string[]) => Promise<unknown>
  #ids: string[] = []
  #flush: Promise<void> | null = null

  constructor(send: (ids: readonly string[]) => Promise<unknown>) {
    this.#send = send
  }

  /** Resolves once the XACK carrying `id` is answered; rejects with its error. */
  ack(id: string): Promise<void> {
    this.#ids.push(id)
    this.#flush ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      const ids = this.#ids
      this.#ids = []
      this.#flush = null
      return this.#send(ids).then(() => undefined)
    })
    return this.#flush
  }
}
