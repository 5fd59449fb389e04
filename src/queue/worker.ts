import { randomBytes } from 'node:crypto'
import type { RedisExpertClient } from '../client/client.js'
import type { Command, RedisArg, Reply } from '../client/types.js'
import { json } from '../codec/index.js'
import { durationMs, optionNames, positiveInt, strictOptions } from '../common/validate.js'
import { invalidArgument } from '../errors.js'
import type { QueueKeys } from './keyspace.js'
import { openQueue } from './queue.js'
import { batchCommand, EXTEND, PROGRESS, runBatch, TAKE } from './scripts.js'

export interface Job<T> {
  readonly id: string
  readonly name: string
  readonly data: T
  /** 1 on the first attempt (a stall does not use an attempt: the run after one has the same number). */
  readonly attempt: number
  readonly attempts: number
  /** Times this job's lease expired before (its worker crashed or stalled). */
  readonly stalls: number
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
  /** Jobs run at once, default 1. A call takes at most half of them (all below 8); two calls overlap. */
  readonly concurrency?: number
  /**
   * A running job's lease, default 30 s, renewed every third of it while the handler runs. A
   * worker that dies stops renewing: its jobs go back to waiting once the lease passes.
   */
  readonly leaseMs?: number
  /**
   * An idle worker waits for the queue's wake-up signal (a blocking pop that an add answers at
   * once); this is the longest such wait, default 5000 ms — a safety net, not a polling rate.
   * The wait also ends when a delayed job is due or a lease expires.
   */
  readonly pollMs?: number
  /** How long a completed job (and its result) is kept, default 24 h. */
  readonly resultTtlMs?: number
  /**
   * About how many events the queue's events stream keeps, default 10 000; 0 writes no events.
   * The events one call records share one entry, capped with MAXLEN ~ eventsMaxLen ÷ its events.
   */
  readonly eventsMaxLen?: number
  readonly onError?: (error: unknown, job?: { id: string; name: string }) => void
}

const WORKER_OPTIONS = optionNames<WorkerOptions>({
  namespace: true,
  concurrency: true,
  leaseMs: true,
  pollMs: true,
  resultTtlMs: true,
  eventsMaxLen: true,
  onError: true,
})

export interface WorkerStats {
  readonly completed: number
  readonly failed: number
  readonly dead: number
  readonly running: number
  /** Jobs of take calls whose reply was lost, given back to the queue uncounted. */
  readonly returned: number
}

interface Taken {
  readonly id: string
  readonly name: string
  readonly data: string
  readonly attempt: number
  readonly attempts: number
  readonly timeoutMs: number
  readonly stalls: number
  readonly token: string
}

/** An attempt that ended, waiting for the next take call to record its outcome. */
interface Finished {
  readonly taken: Taken
  readonly outcome: 'completed' | 'failed'
  /** The encoded result, or the error message. */
  readonly value: string
  /** Random in [0, 1): the jitter of the backoff the take script computes. */
  readonly jitter: number
}

/** After a failed call the next waits this long, doubling up to MAX_RETRY_MS. */
const FIRST_RETRY_MS = 20
const MAX_RETRY_MS = 1000
/** Extra time a blocking wait's own timeout allows beyond its block time. */
const BLOCK_MARGIN_MS = 2000
/** Outcomes recorded per take call at most (more wait for the next call, right after). */
const MAX_FINISH = 1000
/** Take calls in flight at once, per worker. */
const MAX_IN_FLIGHT = 2

export class Worker<T = unknown, R = unknown> {
  readonly name: string
  readonly keys: QueueKeys
  readonly #db: RedisExpertClient
  readonly #handler: JobHandler<T, R>
  readonly #concurrency: number
  readonly #leaseMs: number
  readonly #pollMs: number
  readonly #resultTtlMs: number
  readonly #eventsMaxLen: number
  readonly #onError: (error: unknown, job?: { id: string; name: string }) => void
  readonly #takeKeys: Readonly<Record<(typeof TAKE.keys)[number], string>>
  /** Lease tokens: a random prefix per worker and a counter, one per take call. */
  readonly #tokenPrefix = randomBytes(9).toString('base64url')
  #tokenSeq = 0
  /** Jobs taken and not yet recorded as finished: each holds one of the `concurrency` slots. */
  readonly #held = new Set<Taken>()
  /** Attempts that ended, for the next take call. */
  #done: Finished[] = []
  #state: 'new' | 'running' | 'closing' | 'closed' = 'new'
  #renewer: NodeJS.Timeout | null = null
  /** Take calls in flight (at most MAX_IN_FLIGHT), and the slots they may fill net of those they free. */
  #inFlight = 0
  #reserved = 0
  /** Jobs per take call at most: half the concurrency (all of it below 8), so two calls overlap. */
  readonly #perCall: number
  /** The queue was found empty (or the last call failed): no take-only call until the timer. */
  #resting = false
  /** The blocking wait for a wake-up signal, while one is in flight. */
  #waiting: Promise<void> | null = null
  /** This worker's own wake-up list: close() pushes to it to end the wait at once. */
  readonly #wakeKey: string
  /** The last call failed: no call at all until the retry timer. */
  #failing = false
  #retryMs = FIRST_RETRY_MS
  #poked = false
  #closed: (() => void) | null = null
  #stats = { completed: 0, failed: 0, dead: 0, returned: 0 }
  /** Tokens of take calls whose reply was lost (to give their jobs back), and of those whose reply arrived. */
  #revoke: string[] = []
  #confirm: string[] = []

  constructor(db: RedisExpertClient, name: string, handler: JobHandler<T, R>, options?: WorkerOptions) {
    if (typeof db?.call !== 'function')
      throw invalidArgument('new Worker: db must be a client from connect()')
    if (typeof handler !== 'function') throw invalidArgument('new Worker: handler must be a function')
    const o = strictOptions('Worker options', options, WORKER_OPTIONS) as WorkerOptions
    const opened = openQueue(db, name, o.namespace)
    this.name = opened.queue
    this.keys = opened.keys
    this.#db = db
    this.#handler = handler
    this.#concurrency = positiveInt('concurrency', o.concurrency, 1, 10_000)
    this.#perCall = this.#concurrency < 8 ? this.#concurrency : Math.ceil(this.#concurrency / 2)
    this.#leaseMs = durationMs('leaseMs', o.leaseMs, 30_000)
    this.#pollMs = durationMs('pollMs', o.pollMs, 5000)
    this.#resultTtlMs = durationMs('resultTtlMs', o.resultTtlMs, 86_400_000)
    this.#eventsMaxLen =
      o.eventsMaxLen === 0 ? 0 : positiveInt('eventsMaxLen', o.eventsMaxLen, 10_000, 100_000_000)
    if (o.onError !== undefined && typeof o.onError !== 'function')
      throw invalidArgument('onError must be a function')
    this.#onError = o.onError ?? (() => {})
    const k = this.keys
    this.#wakeKey = k.wake(this.#tokenPrefix)
    this.#takeKeys = {
      wait: k.wait,
      delayed: k.delayed,
      active: k.active,
      dead: k.dead,
      seq: k.seq,
      paused: k.paused,
      completed: k.completed,
      events: k.events,
      signal: k.signal,
    }
  }

  start(): void {
    if (this.#state !== 'new') throw invalidArgument('start(): this worker was already started')
    this.#state = 'running'
    this.#renewer = setInterval(() => this.#renew(), Math.max(10, Math.floor(this.#leaseMs / 3)))
    this.#renewer.unref()
    this.#pump()
  }

  /**
   * Graceful: takes no more jobs, lets running ones finish and records their outcomes — for up
   * to `timeoutMs` (default unlimited); jobs still running then keep their leases until they
   * expire, and run again elsewhere.
   */
  async close(options?: { readonly timeoutMs?: number }): Promise<void> {
    const o = strictOptions('close options', options, ['timeoutMs'])
    const timeoutMs = o.timeoutMs === undefined ? undefined : durationMs('timeoutMs', o.timeoutMs)
    if (this.#state !== 'running') {
      this.#state = 'closed'
      return
    }
    this.#state = 'closing'
    const closed = new Promise<void>((resolve) => {
      this.#closed = resolve
    })
    this.#resting = false
    const waiting = this.#waiting
    if (waiting) {
      // End the blocking wait now: its list is this worker's own (a short TTL in case it was over).
      await this.#db
        .batch([
          ['RPUSH', this.#wakeKey, '1'],
          ['PEXPIRE', this.#wakeKey, 60_000],
        ])
        .catch((error: unknown) => this.#onError(error))
    }
    this.#pump()
    if (timeoutMs === undefined) await closed
    else {
      let timer: NodeJS.Timeout | undefined
      await Promise.race([closed, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))])
      clearTimeout(timer)
    }
    await waiting
    if (this.#renewer) clearInterval(this.#renewer)
    this.#state = 'closed'
  }

  stats(): WorkerStats {
    return { ...this.#stats, running: this.#held.size }
  }

  /**
   * Sends take calls while there is something to send and fewer than MAX_IN_FLIGHT are in
   * flight. A call records the outcomes of the attempts that ended since the last one and takes
   * as many jobs as there are free slots (those of the recorded attempts included), at most
   * #perCall: with two calls in flight the server works on one batch while this process runs
   * the other. Called on start, when attempts end (once per event-loop turn, so that they share
   * one call), on every reply, when a rest ends, and on close.
   */
  #pump(): void {
    while (this.#inFlight < MAX_IN_FLIGHT && !this.#failing) {
      const taking = this.#state === 'running'
      const batch = this.#done.length <= MAX_FINISH ? this.#done : this.#done.slice(0, MAX_FINISH)
      const free = this.#concurrency - this.#held.size - this.#reserved + batch.length
      const count = taking ? Math.max(0, Math.min(this.#perCall, free)) : 0
      // A call that only takes goes alone (an idle worker polls with one call, not two).
      if (batch.length === 0 && (count === 0 || this.#resting || this.#inFlight > 0)) break
      this.#done = batch === this.#done ? [] : this.#done.slice(MAX_FINISH)
      this.#send(batch, count)
    }
    if (this.#state === 'closing' && this.#inFlight === 0 && this.#held.size === 0 && this.#done.length === 0)
      this.#closed?.()
  }

  #send(batch: Finished[], count: number): void {
    const token = `${this.#tokenPrefix}.${(this.#tokenSeq++).toString(36)}`
    this.#inFlight++
    this.#reserved += count - batch.length
    const revoke = this.#revoke
    const confirm = this.#confirm
    this.#revoke = []
    this.#confirm = []
    runBatch(this.#db, TAKE, this.#takeLine(batch, count, token, revoke, confirm)).then(
      (reply) => {
        this.#inFlight--
        this.#reserved -= count - batch.length
        this.#taken(batch, count, token, reply as Reply[])
        this.#pump()
      },
      (error: unknown) => {
        this.#inFlight--
        this.#reserved -= count - batch.length
        this.#onError(error)
        // The call may have run without its reply reaching us: the next call gives back the jobs
        // it took (uncounted), or makes it take none if it has not run yet.
        if (count > 0) this.#revoke.push(token)
        this.#revoke.push(...revoke)
        this.#confirm.push(...confirm)
        if (this.#state === 'running') this.#done = batch.concat(this.#done)
        // Closing: give up on these outcomes; the leases expire and the jobs run again elsewhere.
        else for (const f of batch) this.#held.delete(f.taken)
        this.#failing = true
        setTimeout(() => {
          this.#failing = false
          this.#pump()
        }, this.#retryMs)
        this.#retryMs = Math.min(this.#retryMs * 2, MAX_RETRY_MS)
      },
    )
  }

  #taken(batch: readonly Finished[], count: number, token: string, reply: Reply[]): void {
    const outcomes = reply[0] as Reply[]
    for (let i = 0; i < batch.length; i++) {
      this.#held.delete(batch[i]!.taken)
      const outcome = outcomes[i]
      if (outcome === 'completed') this.#stats.completed++
      else if (outcome === 'retry') this.#stats.failed++
      else if (outcome === 'dead') {
        this.#stats.failed++
        this.#stats.dead++
      }
    }
    this.#stats.returned += Number(reply[3] ?? 0)
    this.#retryMs = FIRST_RETRY_MS
    if (count === 0) return
    const jobs = reply[1] as Reply[][]
    // Fewer than asked: the queue is empty now; take-only calls wait for a wake-up signal (a call
    // that records outcomes still takes).
    if (jobs.length < count) this.#idle(Number(reply[2]))
    else this.#resting = false
    if (jobs.length > 0) {
      this.#confirm.push(token)
      for (const r of jobs)
        this.#run({
          id: String(r[0]),
          name: String(r[1]),
          data: String(r[2]),
          attempt: Number(r[3]),
          attempts: Number(r[4]),
          timeoutMs: Number(r[5]),
          stalls: Number(r[6]),
          token,
        })
    }
  }

  /**
   * The queue is empty: no take-only call until a wake-up. The worker blocks (BLPOP, on a
   * dedicated connection) on the queue's signal list, which every add pushes to, and on its own
   * wake-up list (close); at most `hintMs` (the next delayed job or lease deadline) or pollMs.
   */
  #idle(hintMs: number): void {
    this.#resting = true
    if (this.#waiting || this.#state !== 'running') return
    const ms = Math.max(1, hintMs >= 0 ? Math.min(hintMs, this.#pollMs) : this.#pollMs)
    const signal = this.keys.signal
    this.#waiting = this.#db
      .call(['BLPOP', signal, this.#wakeKey, (ms / 1000).toFixed(3)], { timeoutMs: ms + BLOCK_MARGIN_MS })
      .then(
        (reply) => {
          // A signal this worker cannot use (no free slot, or closing) goes on to another idle worker.
          if (Array.isArray(reply) && reply[0] === signal && (this.#state !== 'running' || this.#free() <= 0))
            this.#passOn()
        },
        (error: unknown) => {
          if (this.#state === 'running') this.#onError(error)
          return new Promise<void>((resolve) => setTimeout(resolve, this.#retryMs))
        },
      )
      .then(() => {
        this.#waiting = null
        this.#resting = false
        this.#pump()
      })
  }

  /** Slots free for a take, net of those calls in flight will fill. */
  #free(): number {
    return this.#concurrency - this.#held.size - this.#reserved
  }

  #passOn(): void {
    this.#db
      .batch(
        [
          ['LPUSH', this.keys.signal, '1'],
          ['LTRIM', this.keys.signal, 0, 0],
        ],
        { atomic: true },
      )
      .catch((error: unknown) => this.#onError(error))
  }

  #takeLine(
    batch: readonly Finished[],
    count: number,
    token: string,
    revoke: readonly string[],
    confirm: readonly string[],
  ): Command {
    const groups: RedisArg[] = []
    for (const f of batch) groups.push(f.taken.id, f.taken.token, f.outcome, f.value, f.jitter)
    return batchCommand(
      TAKE,
      this.#takeKeys,
      {
        leaseMs: this.#leaseMs,
        token,
        jobPrefix: this.keys.jobPrefix,
        takePrefix: this.keys.takePrefix,
        count,
        resultTtlMs: this.#resultTtlMs,
        eventsMaxLen: this.#eventsMaxLen,
        jitter: Math.random(),
        revoke: revoke.join(' '),
        confirm: confirm.join(' '),
        finished: batch.length,
      },
      groups,
    )
  }

  #run(taken: Taken): void {
    this.#held.add(taken)
    this.#attempt(taken).then(
      (finished) => {
        this.#done.push(finished)
        this.#poke()
      },
      (error: unknown) => {
        // Not expected (#attempt catches the handler's errors): free the slot; the lease expires.
        this.#held.delete(taken)
        this.#onError(error, taken)
        this.#poke()
      },
    )
  }

  async #attempt(taken: Taken): Promise<Finished> {
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
    try {
      const job: Job<T> = {
        id: taken.id,
        name: taken.name,
        data: json.decode(taken.data) as T,
        attempt: taken.attempt,
        attempts: taken.attempts,
        stalls: taken.stalls,
        get signal() {
          return signal()
        },
        updateProgress: (progress) => this.#progress(taken, progress),
      }
      const run = this.#handler(job)
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
      return {
        taken,
        outcome: 'completed',
        value: json.encode(result === undefined ? null : result) as string,
        jitter: 0,
      }
    } catch (error) {
      this.#onError(error, taken)
      return {
        taken,
        outcome: 'failed',
        value: error instanceof Error ? error.message : String(error),
        jitter: Math.random(),
      }
    } finally {
      if (timer) clearTimeout(timer)
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

  /** One extend call per renewal round for every job this worker holds (per 1000). */
  #renew(): void {
    if (this.#held.size === 0) return
    const held = [...this.#held]
    for (let start = 0; start < held.length; start += MAX_FINISH) {
      const groups: RedisArg[] = []
      const end = Math.min(held.length, start + MAX_FINISH)
      for (let i = start; i < end; i++) groups.push(held[i]!.id, held[i]!.token)
      const line = batchCommand(
        EXTEND,
        { active: this.keys.active },
        { jobPrefix: this.keys.jobPrefix, leaseMs: this.#leaseMs, count: end - start },
        groups,
      )
      runBatch(this.#db, EXTEND, line).catch((error: unknown) => this.#onError(error))
    }
  }

  /**
   * An attempt ended: pump on the next turn of the event loop (setImmediate), so that every
   * attempt ending in this turn — a batch of trivial handlers — shares one call.
   */
  #poke(): void {
    if (this.#poked) return
    this.#poked = true
    setImmediate(() => {
      this.#poked = false
      this.#pump()
    })
  }
}
