/**
 * A handler's AbortSignal, made on first use — an AbortController (and AbortSignal.any) per job
 * costs more than a trivial handler — and abortable before that: a reason given early is there
 * when the signal is made. It also fires when `linked` does (the worker's close deadline).
 */
export class LazySignal {
  readonly #linked: AbortSignal
  #controller: AbortController | undefined
  #signal: AbortSignal | undefined
  #reason: Error | undefined

  constructor(linked: AbortSignal) {
    this.#linked = linked
  }

  get signal(): AbortSignal {
    if (!this.#signal) {
      this.#controller = new AbortController()
      if (this.#reason) this.#controller.abort(this.#reason)
      this.#signal = AbortSignal.any([this.#controller.signal, this.#linked])
    }
    return this.#signal
  }

  /** Fires the signal with `reason` (the first reason given wins). */
  abort(reason: Error): void {
    if (this.#reason) return
    this.#reason = reason
    this.#controller?.abort(reason)
  }
}
