import { randomBytes } from 'node:crypto'
import type { RedisExpertClient } from '../client/client.js'
import type { Reply } from '../client/types.js'
import { json } from '../codec/index.js'
import { durationMs, plainOptions, positiveInt } from '../common/validate.js'
import { invalidArgument } from '../errors.js'
import { Slots } from '../messaging/slots.js'
import type { QueueKeys } from './keyspace.js'
import { backoffDelay } from './options.js'
import { openQueue } from './queue.js'
import { EXTEND, FINISH, PROGRESS, TAKE } from './scripts.js'

export interface Job<T> {
  readonly id: string
  readonly name: string
  readonly data: T
  /** 1 on the first attempt. */
  readonly attempt: number
  readonly attempts: number
  /** Fires when the job's timeout passes or the worker is closed with a deadline. */
  readonly signal: AbortSignal
  /**
   * Records progress (any JSON value, e.g. a percentage) on the job and appends a 'progress'
   * event: one round trip. Resolves false when this worker no longer holds the job's lease.
   */
  updateProgress(progress: unknown): Promise<boolean>
}

export type JobHandler<T, R> = (job: Job<T>) => Promise<R> | R

export interface WorkerOptions {
  readonly namespace?: string
  /** Jobs run at once, default 1. */
  readonly concurrency?: number
  /**
   * A running job's lease, default 30 s, renewed every third of it while the handler runs. A
   * worker that dies stops renewing: its jobs go back to waiting once the lease passes.
   */
  readonly leaseMs?: number
  /** Longest pause between polls of an empty queue, default 1000 ms (delayed jobs wake it sooner). */
  readonly pollMs?: number
  /** How long a completed job (and its result) is kept, default 24 h. */
  readonly resultTtlMs?: number
  /** MAXLEN (~) of the queue's events stream, default 10 000; 0 writes no events. */
  readonly eventsMaxLen?: number
  readonly onError?: (error: unknown, job?: { id: string; name: string }) => void
}

export interface WorkerStats {
  readonly completed: number
  readonly failed: number
  readonly dead: number
  readonly running: number
}

interface Taken {
  readonly id: string
  readonly name: string
  readonly data: string
  readonly attempt: number
  readonly attempts: number
  readonly backoffType: string
  readonly backoffMs: number
  readonly timeoutMs: number
  readonly token: string
}

/** Polls start this short and double while the queue stays empty (up to pollMs). */
const FIRST_POLL_MS = 5

export class Worker<T = unknown, R = unknown> {
  readonly name: string
  readonly keys: QueueKeys
  readonly #db: RedisExpertClient
  readonly #handler: JobHandler<T, R>
  readonly #slots: Slots
  readonly #leaseMs: number
  readonly #pollMs: number
  readonly #resultTtlMs: number
  readonly #eventsMaxLen: number
  readonly #onError: (error: unknown, job?: { id: string; name: string }) => void
  readonly #running = new Map<string, Taken>()
  #state: 'new' | 'running' | 'closing' | 'closed' = 'new'
  #loop: Promise<void> = Promise.resolve()
  #renewer: NodeJS.Timeout | null = null
  #wake: (() => void) | null = null
  #stats = { completed: 0, failed: 0, dead: 0 }

  constructor(db: RedisExpertClient, name: string, handler: JobHandler<T, R>, options?: WorkerOptions) {
    if (typeof db?.call !== 'function')
      throw invalidArgument('new Worker: db must be a client from connect()')
    if (typeof handler !== 'function') throw invalidArgument('new Worker: handler must be a function')
    const o = plainOptions('Worker options', options) as WorkerOptions
    const opened = openQueue(db, name, o.namespace)
    this.name = opened.queue
    this.keys = opened.keys
    this.#db = db
    this.#handler = handler
    this.#slots = new Slots(positiveInt('concurrency', o.concurrency, 1, 10_000))
    this.#leaseMs = durationMs('leaseMs', o.leaseMs, 30_000)
    this.#pollMs = durationMs('pollMs', o.pollMs, 1000)
    this.#resultTtlMs = durationMs('resultTtlMs', o.resultTtlMs, 86_400_000)
    this.#eventsMaxLen =
      o.eventsMaxLen === 0 ? 0 : positiveInt('eventsMaxLen', o.eventsMaxLen, 10_000, 100_000_000)
    if (o.onError !== undefined && typeof o.onError !== 'function')
      throw invalidArgument('onError must be a function')
    this.#onError = o.onError ?? (() => {})
  }

  start(): void {
    if (this.#state !== 'new') throw invalidArgument('start(): this worker was already started')
    this.#state = 'running'
    this.#renewer = setInterval(() => this.#renew(), Math.max(10, Math.floor(this.#leaseMs / 3)))
    this.#renewer.unref()
    this.#loop = this.#takeLoop()
  }

  /** Graceful: takes no more jobs, lets running ones finish (their outcomes are recorded). */
  async close(): Promise<void> {
    if (this.#state !== 'running') {
      this.#state = 'closed'
      return
    }
    this.#state = 'closing'
    this.#slots.wake()
    this.#wake?.()
    await this.#loop
    await this.#slots.drained()
    if (this.#renewer) clearInterval(this.#renewer)
    this.#state = 'closed'
  }

  stats(): WorkerStats {
    return { ...this.#stats, running: this.#slots.used }
  }

  async #takeLoop(): Promise<void> {
    let idleMs = FIRST_POLL_MS
    while (this.#state === 'running') {
      await this.#slots.waitFree()
      if (this.#state !== 'running') break
      let taken: Taken[] | number
      try {
        taken = await this.#take(this.#slots.free)
      } catch (error) {
        this.#onError(error)
        await this.#sleep(this.#pollMs)
        continue
      }
      if (typeof taken === 'number') {
        // Empty: wait, at most until the next delayed job is due.
        await this.#sleep(taken >= 0 ? Math.min(taken, idleMs) : idleMs)
        idleMs = Math.min(idleMs * 2, this.#pollMs)
        continue
      }
      idleMs = FIRST_POLL_MS
      for (const job of taken) this.#run(job)
    }
  }

  /** One script hands over up to `count` jobs (the free slots), or says how long to wait. */
  async #take(count: number): Promise<Taken[] | number> {
    const k = this.keys
    const token = randomBytes(9).toString('base64url')
    const reply = (await TAKE.run(
      this.#db,
      { wait: k.wait, delayed: k.delayed, active: k.active, dead: k.dead, seq: k.seq, paused: k.paused },
      { now: Date.now(), leaseMs: this.#leaseMs, token, jobPrefix: k.jobPrefix, count: Math.max(1, count) },
    )) as Reply[]
    if (!Array.isArray(reply[0])) return Number(reply[1])
    return (reply as Reply[][]).map((r) => ({
      id: String(r[0]),
      name: String(r[1]),
      data: String(r[2]),
      attempt: Number(r[3]),
      attempts: Number(r[4]),
      backoffType: String(r[5]),
      backoffMs: Number(r[6]),
      timeoutMs: Number(r[7]),
      token,
    }))
  }

  #run(taken: Taken): void {
    this.#slots.take()
    this.#running.set(taken.id, taken)
    this.#attempt(taken)
      .catch((error: unknown) => this.#onError(error, taken))
      .finally(() => {
        this.#running.delete(taken.id)
        this.#slots.release()
      })
  }

  async #attempt(taken: Taken): Promise<void> {
    // Created on first use: an AbortController per job costs more than a trivial handler.
    let abort: AbortController | undefined
    let abortedWith: Error | undefined
    const signal = () => {
      if (!abort) {
        abort = new AbortController()
        if (abortedWith) abort.abort(abortedWith)
      }
      return abort.signal
    }
    let timer: NodeJS.Timeout | undefined
    let outcome: { ok: true; value: string } | { ok: false; error: string }
    try {
      const job: Job<T> = {
        id: taken.id,
        name: taken.name,
        data: json.decode(taken.data) as T,
        attempt: taken.attempt,
        attempts: taken.attempts,
        get signal() {
          return signal()
        },
        updateProgress: (progress) => this.#progress(taken, progress),
      }
      const run = Promise.resolve(this.#handler(job))
      const result =
        taken.timeoutMs > 0
          ? await Promise.race([
              run,
              new Promise<never>((_, reject) => {
                timer = setTimeout(() => {
                  const error = new Error(`timed out after ${taken.timeoutMs} ms`)
                  abortedWith = error
                  abort?.abort(error)
                  reject(error)
                }, taken.timeoutMs)
              }),
            ])
          : await run
      outcome = { ok: true, value: json.encode(result === undefined ? null : result) as string }
    } catch (error) {
      this.#onError(error, taken)
      outcome = { ok: false, error: error instanceof Error ? error.message : String(error) }
    } finally {
      if (timer) clearTimeout(timer)
    }
    const k = this.keys
    const reply = await FINISH.run(
      this.#db,
      {
        job: k.job(taken.id),
        active: k.active,
        wait: k.wait,
        delayed: k.delayed,
        dead: k.dead,
        seq: k.seq,
        completed: k.completed,
        events: k.events,
      },
      {
        id: taken.id,
        token: taken.token,
        outcome: outcome.ok ? 'completed' : 'failed',
        value: outcome.ok ? outcome.value : outcome.error,
        now: Date.now(),
        resultTtlMs: this.#resultTtlMs,
        retryDelayMs: outcome.ok ? 0 : backoffDelay(taken.backoffType, taken.backoffMs, taken.attempt),
        eventsMaxLen: this.#eventsMaxLen,
      },
    )
    if (reply === 'completed') this.#stats.completed++
    else if (reply === 'retry') this.#stats.failed++
    else if (reply === 'dead') {
      this.#stats.failed++
      this.#stats.dead++
    }
  }

  async #progress(taken: Taken, progress: unknown): Promise<boolean> {
    let encoded: string
    try {
      encoded = json.encode(progress === undefined ? null : progress) as string
    } catch (error) {
      throw invalidArgument(`updateProgress: the value is not JSON: ${(error as Error).message}`)
    }
    const reply = await PROGRESS.run(
      this.#db,
      { job: this.keys.job(taken.id), events: this.keys.events },
      { id: taken.id, token: taken.token, progress: encoded, eventsMaxLen: this.#eventsMaxLen },
    )
    return Number(reply) === 1
  }

  #renew(): void {
    const deadline = Date.now() + this.#leaseMs
    for (const taken of this.#running.values())
      EXTEND.run(
        this.#db,
        { job: this.keys.job(taken.id), active: this.keys.active },
        {
          id: taken.id,
          token: taken.token,
          deadline,
        },
      ).catch((error: unknown) => this.#onError(error, taken))
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms)
      function done() {
        clearTimeout(timer)
        resolve()
      }
      this.#wake = done
    })
  }
}
