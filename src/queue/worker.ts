import type { Client } from '../client/client.js'
import type { Reply } from '../common/types.js'
import { assertClient, durationMs, positiveInt, strictOptions } from '../common/validate.js'
import { invalidArgument } from '../errors.js'
import { LeaseClock } from '../kit/lease-clock.js'
import { WorkerCore } from '../kit/worker-core.js'
import {
  abortAttempt,
  type Finished,
  type JobHandler,
  leaseRanOut,
  runAttempt,
  type Taken,
  takenOver,
} from './attempt.js'
import { extendLeases, MAX_BATCH, recordProgress, takeLine, takenJobs } from './calls.js'
import { type Handed, IdleWait } from './idle-wait.js'
import type { QueueKeys } from './keyspace.js'
import { openQueue } from './queue.js'
import { scheduleNext } from './repeat.js'
import { TAKE } from './scripts.js'
import { TakeLedger } from './take-ledger.js'
import {
  countOutcome,
  WORKER_HINTS,
  WORKER_OPTIONS,
  type WorkerCounters,
  type WorkerOptions,
  type WorkerStats,
} from './worker-options.js'

export type { Job, JobHandler } from './attempt.js'
export type { WorkerOptions, WorkerStats } from './worker-options.js'

/** Take calls in flight at once, per worker. */
const MAX_IN_FLIGHT = 2
/** After a failed call the next waits this long, doubling up to MAX_RETRY_MS. */
const FIRST_RETRY_MS = 20
const MAX_RETRY_MS = 1000

/**
 * Runs a queue's jobs. Starts on construction (unless `autorun: false`); `close()` is graceful.
 * See docs/messaging.md for what a take call does and how a worker spends its round trips.
 */
export class Worker<T = unknown, R = unknown> extends WorkerCore<{ id: string; name: string }> {
  readonly name: string
  readonly keys: QueueKeys
  readonly #db: Client
  readonly #handler: JobHandler<T, R>
  readonly #leaseMs: number
  readonly #pollMs: number
  readonly #resultTtlMs: number
  readonly #eventsMaxLen: number
  /** Lease tokens, lost and arrived replies, the registration as idle (take-ledger.ts). */
  readonly #ledger: TakeLedger
  /** Jobs taken and not yet recorded as finished: each holds one of the `concurrency` slots. */
  readonly #held = new Set<Taken>()
  /** Attempts that ended, for the next take call. */
  #done: Finished[] = []
  /** Take calls in flight (at most MAX_IN_FLIGHT), and the slots they may fill net of those they free. */
  #inFlight = 0
  #reserved = 0
  /** Jobs per take call at most: half the concurrency (all of it below 8), so two calls overlap. */
  readonly #perCall: number
  /** The queue was found empty: no take-only call until a wake-up. */
  #resting = false
  /** The blocking wait of an idle worker (idle-wait.ts). */
  readonly #idleWait: IdleWait
  /** The last call failed: no call at all until the retry timer. */
  #failing = false
  #retryMs = FIRST_RETRY_MS
  #poked = false
  #settled: (() => void) | null = null
  #stats: WorkerCounters = { completed: 0, failed: 0, dead: 0, returned: 0 }
  /** When each running job's lease may run out, by this process's clock (kit/lease-clock.ts). */
  readonly #leases: LeaseClock<Taken>

  constructor(db: Client, name: string, handler: JobHandler<T, R>, options?: WorkerOptions) {
    assertClient(db, 'new Worker: db')
    if (typeof handler !== 'function') throw invalidArgument('new Worker: handler must be a function')
    const o = strictOptions('Worker options', options, WORKER_OPTIONS, WORKER_HINTS) as WorkerOptions
    super(o)
    const opened = openQueue(db, name, o.namespace)
    this.name = opened.queue
    this.keys = opened.keys
    this.#db = db
    this.#handler = handler
    this.#perCall = this.concurrency < 8 ? this.concurrency : Math.ceil(this.concurrency / 2)
    this.#leaseMs = durationMs('leaseMs', o.leaseMs, 30_000)
    this.#pollMs = durationMs('pollMs', o.pollMs, 5000)
    this.#resultTtlMs = durationMs('resultTtlMs', o.resultTtlMs, 86_400_000)
    this.#eventsMaxLen =
      o.eventsMaxLen === 0 ? 0 : positiveInt('eventsMaxLen', o.eventsMaxLen, 10_000, 100_000_000)
    this.#ledger = new TakeLedger(this.#leaseMs, this.keys.wake)
    this.#idleWait = new IdleWait(db, this.keys, this.#ledger)
    this.#leases = new LeaseClock<Taken>(this.#leaseMs, (taken) =>
      abortAttempt(taken, leaseRanOut(taken, this.#leaseMs)),
    )
    this.autostart()
  }

  /** Counters since start, with the jobs running now. */
  stats(): WorkerStats {
    return { ...this.#stats, running: this.#held.size }
  }

  protected override begin(): void {
    this.#pump()
  }

  protected override renewEveryMs(): number {
    return Math.max(10, Math.floor(this.#leaseMs / 3))
  }

  protected override async stopTaking(): Promise<void> {
    this.#resting = false
    // A job handed over before the wait ends runs before close() returns, as every job already
    // taken does. The registration is withdrawn once the wait is over (#pump).
    await this.#idleWait.interrupt().catch((error: unknown) => this.reportError(error))
    this.#pump()
  }

  protected override settled(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#settled = resolve
      this.#pump()
    })
  }

  protected override async shutdown(): Promise<void> {
    await this.#idleWait.pending
    this.#leases.clear()
  }

  /**
   * Sends take calls while there is something to send and fewer than MAX_IN_FLIGHT are in
   * flight. A call records the outcomes of the attempts that ended since the last one and takes
   * as many jobs as there are free slots (those of the recorded attempts included), at most
   * #perCall: with two calls in flight the server works on one batch while this process runs
   * the other. Called on start, when attempts end (once per event-loop turn, so that they share
   * one call), on every reply, when a wait ends, and on close.
   */
  #pump(): void {
    while (this.#inFlight < MAX_IN_FLIGHT && !this.#failing) {
      const batch = this.#done.length <= MAX_BATCH ? this.#done : this.#done.slice(0, MAX_BATCH)
      const free = this.#free() + batch.length
      const count = this.running ? Math.max(0, Math.min(this.#perCall, free)) : 0
      // A call that only takes goes alone (an idle worker polls with one call, not two). Closing,
      // a registration as idle is withdrawn (with the job handed over meanwhile, if any).
      const withdraw = !this.running && this.#ledger.registered !== null && this.#idleWait.pending === null
      if (batch.length === 0 && !withdraw && (count === 0 || this.#resting || this.#inFlight > 0)) break
      this.#done = batch === this.#done ? [] : this.#done.slice(MAX_BATCH)
      this.#send(batch, count)
    }
    if (
      this.#settled &&
      this.#inFlight === 0 &&
      this.#held.size === 0 &&
      this.#done.length === 0 &&
      this.#ledger.registered === null
    ) {
      this.#settled()
      this.#settled = null
    }
  }

  /** One take call: records `batch`, takes up to `count` jobs. */
  #send(batch: Finished[], count: number): void {
    this.#inFlight++
    this.#reserved += count - batch.length
    const tokens = this.#ledger.next(count, this.#inFlight === 1, this.#idleWait.pending !== null)
    const line = takeLine(this.keys, {
      leaseMs: this.#leaseMs,
      resultTtlMs: this.#resultTtlMs,
      eventsMaxLen: this.#eventsMaxLen,
      pollMs: this.#pollMs,
      count,
      finished: batch,
      ...tokens,
    })
    const sentAt = performance.now()
    TAKE.runCommand(this.#db, line).then(
      (reply) => {
        this.#inFlight--
        this.#reserved -= count - batch.length
        const r = reply as Reply[]
        const leaseStart = this.#leases.startOf({
          serverNow: Number(r[4]),
          sentAt,
          receivedAt: performance.now(),
          waitMs: 0,
          woken: false,
        })
        this.#ledger.replied(tokens, (r[1] as Reply[]).length, count, sentAt)
        this.#taken(batch, count, tokens.token, r, leaseStart)
        this.#pump()
      },
      (error: unknown) => {
        this.#inFlight--
        this.#reserved -= count - batch.length
        this.#ledger.failed(tokens, count > 0, !this.running)
        // Its outcomes go again with the next call (recorded once: the second time is 'lost').
        // Closing: give up on them; the leases expire and the jobs run again elsewhere.
        if (this.running) this.#done = batch.concat(this.#done)
        else for (const f of batch) this.#held.delete(f.taken)
        if (this.running || batch.length > 0) this.reportError(error)
        this.#failed()
      },
    )
  }

  /** After a failed call no call at all until the retry timer, doubling up to MAX_RETRY_MS. */
  #failed(): void {
    this.#failing = true
    setTimeout(() => {
      this.#failing = false
      this.#resting = false
      this.#pump()
    }, this.#retryMs)
    this.#retryMs = Math.min(this.#retryMs * 2, MAX_RETRY_MS)
  }

  /** The idle wait (idle-wait.ts): a job handed over runs; whatever ended it, the next call takes. */
  #wait(waitMs: number): void {
    this.#inFlight++
    this.#reserved++
    const over = () => {
      this.#inFlight--
      this.#reserved--
      this.#resting = false
    }
    this.#idleWait.start(
      waitMs,
      (handed) => {
        over()
        if (handed !== null) this.#handed(handed)
        this.#pump()
      },
      (error) => {
        over()
        // The next call withdraws the registration: a job handed over meanwhile goes back then,
        // if still on the list, or when its first lease runs out unrenewed (take.lua).
        if (this.running) this.reportError(error)
        this.#failed()
      },
    )
  }

  #taken(batch: readonly Finished[], count: number, token: string, reply: Reply[], leaseStart: number): void {
    const outcomes = reply[0] as Reply[]
    for (let i = 0; i < batch.length; i++) {
      this.#held.delete(batch[i]!.taken)
      countOutcome(this.#stats, outcomes[i])
    }
    this.#stats.returned += Number(reply[3] ?? 0)
    this.#retryMs = FIRST_RETRY_MS
    if (count === 0) return
    const jobs = reply[1] as Reply[][]
    // Fewer than asked: the queue is empty now; take-only calls wait for a wake-up signal (a call
    // that records outcomes still takes).
    if (jobs.length < count) this.#idle(Number(reply[2]))
    else this.#resting = false
    if (jobs.length === 0) return
    const now = Number(reply[4])
    const jobsTaken = takenJobs(reply, token)
    this.#leases.began(jobsTaken, leaseStart)
    for (const taken of jobsTaken) {
      if (taken.repeatKey !== '') this.#scheduleNext(taken, now)
      this.#run(taken)
    }
  }

  /** A repeatable job's occurrence was taken: its next slot is scheduled (repeat.ts). */
  #scheduleNext(taken: Taken, now: number): void {
    void scheduleNext(this.#db, this.keys, taken, now, (error) =>
      this.reportError(error, { id: taken.id, name: taken.name }),
    )
  }

  /**
   * The queue is empty: no take-only call until a wake-up. The worker waits (#wait) at most
   * `hintMs` (the next delayed job or lease deadline) or pollMs. A worker with no free slot does
   * not wait: the calls that record its outcomes take.
   */
  #idle(hintMs: number): void {
    this.#resting = true
    if (this.#idleWait.pending || !this.running || this.#inFlight >= MAX_IN_FLIGHT) return
    if (Math.min(this.#perCall, this.#free()) <= 0) return
    this.#wait(Math.max(1, hintMs >= 0 ? Math.min(hintMs, this.#pollMs) : this.#pollMs))
  }

  /**
   * A job an add handed over (add.lua) runs, if it is this worker's still (TakeLedger.handed);
   * its lease began at the add, after the registering call was sent.
   */
  #handed({ taken, registered, serverNow, since, waitMs }: Handed): void {
    if (!this.#ledger.handed(taken.token, registered)) return
    const receivedAt = performance.now()
    // The handler first: the lease's bookkeeping is for later turns (its timer cannot fire
    // before this one ends), and this job's whole path from the add is in its latency.
    this.#run(taken)
    const start = this.#leases.startOf({ serverNow, sentAt: since, receivedAt, waitMs, woken: true })
    this.#leases.began([taken], start)
    // Its first lease is short: renewed at once, which also tells the server it arrived — on the
    // next turn of the event loop, once the handler has started.
    setImmediate(() => void this.#extend([taken]))
  }

  /** Slots free for a take, net of those calls in flight will fill. */
  #free(): number {
    return this.concurrency - this.#held.size - this.#reserved
  }

  #run(taken: Taken): void {
    this.#held.add(taken)
    const ref = { id: taken.id, name: taken.name }
    runAttempt(
      this.#handler,
      taken,
      (t, value) => recordProgress(this.#db, this.keys, t, value, this.#eventsMaxLen),
      this.closingSignal,
      (error) => this.reportError(error, ref),
    ).then((finished) => {
      // A lease that ran out (or was found lost) makes a failure the lease's, not the job's: it is
      // not recorded, and the job is recovered as a stall. A completion is recorded if the lease
      // is still this worker's when the call gets through.
      if (!this.#leases.end(taken) && finished.outcome === 'failed') this.#held.delete(taken)
      else this.#done.push(finished)
      this.#poke()
    })
  }

  /**
   * One extend call per renewal round for every job this worker holds (per 1000). A job whose
   * lease is no longer this worker's — it ran out while renewals could not reach Redis, and the
   * job was recovered as a stall — has its handler's signal fired: it may run elsewhere now.
   */
  protected override renew(): Promise<void> {
    return this.#extend(this.#leases.live())
  }

  async #extend(held: readonly Taken[]): Promise<void> {
    if (held.length === 0) return
    const sentAt = performance.now()
    const lost = await extendLeases(
      this.#db,
      this.keys,
      this.#leaseMs,
      held,
      (renewed) => this.#leases.renewed(renewed, sentAt),
      (error) => this.reportError(error),
    )
    for (const taken of held)
      if (lost.has(taken.id) && this.#leases.end(taken)) abortAttempt(taken, takenOver(taken))
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
