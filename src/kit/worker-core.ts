import { EventEmitter } from 'node:events'
import { durationMs, positiveInt, strictOptions } from '../common/validate.js'
import { invalidArgument } from '../errors.js'

/**
 * What every worker of the toolkit shares — the job queue's, the stream consumer's, Celery's and
 * RQ's: concurrency slots, a start on construction (unless `autorun: false`), a graceful and
 * bounded close, lease renewal on a timer, and error events. Each worker brings how it takes
 * work, runs it and settles it; this core decides when.
 */
export interface WorkerCoreOptions<C = unknown> {
  /** Handlers running at once, default 1. */
  readonly concurrency?: number
  /**
   * Start on construction (default true, as BullMQ's `autorun`); with `false`, call `start()`.
   * Either way `start()` resolves once the worker runs, or rejects if it could not start.
   */
  readonly autorun?: boolean
  /**
   * How long `close()` waits for running handlers by default (`close({ timeoutMs })` overrides
   * it), default unlimited. When it passes, their AbortSignals fire and the worker stops
   * waiting: what they hold goes back to the queue when its lease expires.
   */
  readonly closeTimeoutMs?: number
  /**
   * Handler failures and background errors; the worker goes on. The same errors are emitted as
   * 'error' events to listeners, if any (an 'error' with no listener does not crash the process).
   */
  readonly onError?: (error: unknown, context?: C) => void
}

export type WorkerState = 'new' | 'starting' | 'running' | 'closing' | 'closed'

/** Counts what runs against the limit; lets a loop wait for a free slot, or for none in use, without polling. */
export class Slots {
  readonly limit: number
  #used = 0
  #waiters: (() => void)[] = []
  #idle: (() => void)[] = []

  constructor(limit: number) {
    this.limit = limit
  }

  get used(): number {
    return this.#used
  }

  get free(): number {
    return this.limit - this.#used
  }

  take(): void {
    this.#used++
  }

  release(): void {
    this.#used--
    this.wake()
    if (this.#used === 0) for (const resolve of this.#idle.splice(0)) resolve()
  }

  /** Resolves when a slot is free (at once if one is), or on `wake()` (shutdown). */
  waitFree(): Promise<void> {
    if (this.#used < this.limit) return Promise.resolve()
    return new Promise((resolve) => this.#waiters.push(resolve))
  }

  /** Resolves when nothing is in use. */
  drained(): Promise<void> {
    if (this.#used === 0) return Promise.resolve()
    return new Promise((resolve) => this.#idle.push(resolve))
  }

  wake(): void {
    for (const resolve of this.#waiters.splice(0)) resolve()
  }
}

export abstract class WorkerCore<C = unknown> extends EventEmitter<{ error: [error: unknown, context?: C] }> {
  readonly concurrency: number
  protected readonly slots: Slots
  readonly #autorun: boolean
  readonly #closeTimeoutMs: number | undefined
  readonly #onError: ((error: unknown, context?: C) => void) | undefined
  readonly #closing = new AbortController()
  #state: WorkerState = 'new'
  #started: Promise<void> | null = null
  #closed: Promise<void> | null = null
  #renewer: NodeJS.Timeout | null = null

  /** `options` are the worker's, already checked for unknown keys. */
  constructor(options: WorkerCoreOptions<C>) {
    super()
    this.concurrency = positiveInt('concurrency', options.concurrency, 1, 10_000)
    if (options.autorun !== undefined && typeof options.autorun !== 'boolean')
      throw invalidArgument('autorun must be true or false', { autorun: options.autorun })
    this.#autorun = options.autorun !== false
    this.#closeTimeoutMs =
      options.closeTimeoutMs === undefined ? undefined : durationMs('closeTimeoutMs', options.closeTimeoutMs)
    if (options.onError !== undefined && typeof options.onError !== 'function')
      throw invalidArgument('onError must be a function')
    this.#onError = options.onError
    this.slots = new Slots(this.concurrency)
  }

  get state(): WorkerState {
    return this.#state
  }

  /** True while the worker takes new work. */
  get running(): boolean {
    return this.#state === 'running'
  }

  /** Fires when close()'s deadline passes with handlers still running: pass it on to them. */
  protected get closingSignal(): AbortSignal {
    return this.#closing.signal
  }

  /** The last line of each worker's constructor: starts it unless `autorun: false`. */
  protected autostart(): void {
    if (this.#autorun) this.start().catch(() => {})
  }

  /**
   * Starts taking work (idempotent: a second call returns the first's promise). Rejects if the
   * worker could not start (its connection, its consumer group); the error is reported too.
   */
  start(): Promise<void> {
    if (this.#state === 'closing' || this.#state === 'closed')
      return Promise.reject(invalidArgument('start(): this worker was closed'))
    if (this.#started) return this.#started
    this.#state = 'starting'
    this.#started = (async () => {
      try {
        await this.open()
      } catch (error) {
        this.#state = 'closed'
        this.reportError(error)
        throw error
      }
      if (this.#state !== 'starting') return // closed while starting
      this.#state = 'running'
      const every = this.renewEveryMs()
      if (every > 0) this.#renewer = this.#every(every, () => this.renew())
      this.begin()
    })()
    return this.#started
  }

  /**
   * Graceful: takes no more work, lets running handlers finish and settles their outcomes — for
   * up to `timeoutMs` (default `closeTimeoutMs`, else unlimited); then fires their AbortSignals
   * and stops waiting. Renewal runs until the end, so work finishing meanwhile stays this worker's.
   */
  close(options?: { readonly timeoutMs?: number }): Promise<void> {
    const o = strictOptions('close options', options, ['timeoutMs'])
    const timeoutMs = o.timeoutMs === undefined ? this.#closeTimeoutMs : durationMs('timeoutMs', o.timeoutMs)
    this.#closed ??= this.#close(timeoutMs)
    return this.#closed
  }

  async #close(timeoutMs: number | undefined): Promise<void> {
    const was = this.#state
    this.#state = 'closing'
    this.slots.wake()
    if (was === 'starting') await this.#started?.catch(() => {})
    if (was === 'starting' || was === 'running') {
      try {
        await this.stopTaking()
        const settled = this.settled()
        if (timeoutMs === undefined) await settled
        else {
          let timer: NodeJS.Timeout | undefined
          const late = new Promise<boolean>((resolve) => {
            timer = setTimeout(() => resolve(true), timeoutMs)
          })
          const timedOut = await Promise.race([settled.then(() => false), late])
          clearTimeout(timer)
          if (timedOut) this.#closing.abort(new Error(`the worker was closed: timeoutMs ${timeoutMs} passed`))
        }
      } catch (error) {
        this.reportError(error)
      }
    }
    if (this.#renewer) clearInterval(this.#renewer)
    try {
      await this.shutdown()
    } catch (error) {
      this.reportError(error)
    }
    this.#state = 'closed'
  }

  /** To onError and to 'error' listeners; never throws. */
  protected reportError(error: unknown, context?: C): void {
    try {
      this.#onError?.(error, context)
    } catch {
      // An onError that throws must not stop the worker.
    }
    if (this.listenerCount('error') > 0) this.emit('error', error, context)
  }

  /** Runs `fn` every `ms` (unref'd), one at a time; errors are reported. */
  protected every(ms: number, fn: () => Promise<unknown> | unknown): void {
    const timer = this.#every(ms, fn)
    this.#timers.push(timer)
  }

  readonly #timers: NodeJS.Timeout[] = []

  #every(ms: number, fn: () => Promise<unknown> | unknown): NodeJS.Timeout {
    let busy = false
    const timer = setInterval(() => {
      if (busy || this.#state === 'closed') return
      busy = true
      Promise.resolve()
        .then(fn)
        .catch((error: unknown) => this.reportError(error))
        .finally(() => {
          busy = false
        })
    }, ms)
    timer.unref()
    return timer
  }

  /** Stops the timers of `every()` (the worker's own periodic work: recovery, cleanup...). */
  protected stopTimers(): void {
    for (const timer of this.#timers.splice(0)) clearInterval(timer)
  }

  // ---- what each worker brings ----

  /** Opens what the worker needs before taking work (a connection, a consumer group). */
  protected open(): Promise<void> | void {}
  /** Starts taking work (a loop, a first call); runs once, after open(). */
  protected abstract begin(): void
  /** How often to renew what running handlers hold (leases, visibility); 0: never. */
  protected renewEveryMs(): number {
    return 0
  }
  /** Renews what running handlers hold. */
  protected renew(): Promise<void> | void {}
  /** Stops taking work (ends blocking reads); may still run what was taken. */
  protected abstract stopTaking(): Promise<void> | void
  /** Resolves once everything taken has run and its outcome is recorded; default: no slot in use. */
  protected settled(): Promise<void> {
    const slots = this.slots
    return (async () => {
      do await slots.drained()
      while (slots.used > 0)
    })()
  }
  /** Last: closes what open() opened, clears timers. */
  protected shutdown(): Promise<void> | void {
    this.stopTimers()
  }
}
