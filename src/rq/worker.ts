import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import type { RedisExpertClient } from '../client/client.js'
import type { Reply } from '../client/types.js'
import { durationMs, optionNames, positiveInt, strictOptions } from '../common/validate.js'
import { invalidArgument, RedisExpertError } from '../errors.js'
import { openSibling } from '../messaging/connection.js'
import { Slots } from '../messaging/slots.js'
import {
  DEFAULT_FAILURE_TTL_S,
  DEFAULT_RESULT_TTL_S,
  DEFAULT_TIMEOUT_S,
  decodeJobData,
  failureEntry,
  type JsonValue,
  jsonProblem,
  successEntry,
  timestampS,
  utcformat,
} from './format.js'
import { openRq, RQ_NAME, type RqKeys, rqKeys } from './keyspace.js'
import { cleanRegistries, enqueueDueJobs } from './maintenance.js'
import { resultTtlS, rqName } from './options.js'
import { FAIL, FINISH, HEARTBEAT, RQ_ALLOW, runScript, START } from './scripts.js'

/** What a handler gets: the call as Python enqueued it, and the job's context. */
export interface RqTask {
  readonly id: string
  /** The queue it came from (the job's origin). */
  readonly queue: string
  readonly func: string
  readonly args: readonly JsonValue[]
  readonly kwargs: { readonly [name: string]: JsonValue }
  readonly meta: JsonValue
  readonly description: string | null
  /** Aborted when the job's timeout passes; the job is then failed with JobTimeoutException. */
  readonly signal: AbortSignal
}

/** Returns the job's result: any JSON value (undefined counts as None). */
export type RqHandler = (task: RqTask) => unknown

export interface RqWorkerOptions {
  /** worker_name written on each job; default `<host>.<pid>.<random>` (RQ: a uuid hex). */
  readonly name?: string
  /** Jobs run at once; default 1 (an RQ worker runs one). */
  readonly concurrency?: number
  /** BLPOP wait per call; bounds how long close() waits for the pop in flight. Default 1 s. */
  readonly blockMs?: number
  /**
   * rq/worker.py job_monitoring_interval: how often running jobs heartbeat; default 30 s. Each
   * heartbeat keeps the job in the StartedJobRegistry for interval + 60 s, as RQ does.
   */
  readonly heartbeatMs?: number
  /** Result TTL of jobs that name none (RQ's worker default: 500 s); 0 or 'forever' as in RQ. */
  readonly resultTtl?: number | `${number}${'ms' | 's' | 'm' | 'h' | 'd'}` | 'forever'
  /**
   * How often this worker runs RQ's registry cleanup (abandoned jobs → failed), under RQ's
   * shared cleaning lock; default 10 min as rq/worker.py; 0 = never. It also runs at start.
   */
  readonly cleanupMs?: number
  /**
   * Also run RQ's scheduler for these queues (rq worker --with-scheduler): once a second, under
   * RQ's per-queue scheduler lock, enqueue the due jobs of the ScheduledJobRegistry (enqueueAt,
   * enqueueIn, retries with intervals). Default false, as in RQ.
   */
  readonly withScheduler?: boolean
  /** A connection for BLPOP; default: a second connection opened by start(), closed by close(). */
  readonly blocking?: RedisExpertClient
  /** Errors that do not belong to a caller: undecodable jobs (MESSAGE_INVALID), Redis errors. */
  readonly onError?: (error: unknown, job?: { readonly id: string; readonly queue: string }) => void
}

export interface RqWorkerStats {
  readonly finished: number
  readonly failed: number
  /** Failed runs put back (or scheduled) because the job had retries left. */
  readonly retried: number
  readonly running: number
}

interface Started {
  readonly id: string
  readonly queue: string
  readonly keys: RqKeys
  readonly fields: (Buffer | null)[]
}

const BLOCK_MARGIN_MS = 5_000
const RQ_WORKER_OPTIONS = optionNames<RqWorkerOptions>({
  name: true,
  concurrency: true,
  blockMs: true,
  heartbeatMs: true,
  resultTtl: true,
  cleanupMs: true,
  withScheduler: true,
  blocking: true,
  onError: true,
})
const ERROR_BACKOFF_MS = 250
/** rq/scheduler.py RQScheduler interval: 1 s. */
const SCHEDULER_INTERVAL_S = 1

/**
 * Runs jobs that Python enqueued with `serializer=JSONSerializer`, the way rq/worker.py does:
 * BLPOP over the queues in order, the StartedJobRegistry with a heartbeat expiry, status
 * 'started' and worker_name, the handler named by the job's func_name, then the result in the
 * results stream and the FinishedJobRegistry — or exc_info and the FailedJobRegistry — so that
 * Python's job.get_status(), job.return_value() and job.exc_info read them as from its own
 * workers. Standalone or Sentinel only.
 */
export class RqWorker {
  readonly name: string
  readonly queues: readonly string[]
  readonly #db: RedisExpertClient
  readonly #handlers: ReadonlyMap<string, RqHandler>
  readonly #keys: ReadonlyMap<string, RqKeys>
  readonly #byQueueKey: ReadonlyMap<string, string>
  readonly #slots: Slots
  readonly #blockMs: number
  readonly #heartbeatMs: number
  readonly #resultTtl: number
  readonly #cleanupMs: number
  readonly #onError: NonNullable<RqWorkerOptions['onError']>
  readonly #givenBlocking: RedisExpertClient | undefined
  readonly #withScheduler: boolean
  readonly #token = `${hostname()}.${process.pid}.${randomBytes(6).toString('hex')}`
  readonly #running = new Map<string, Started>()
  #blocking: RedisExpertClient | null = null
  #state: 'new' | 'starting' | 'running' | 'closing' | 'closed' = 'new'
  #loop: Promise<void> = Promise.resolve()
  #timers: NodeJS.Timeout[] = []
  #stats = { finished: 0, failed: 0, retried: 0 }
  /** Scheduler passes run one after another, so that close() can release the locks last. */
  #scheduling: Promise<void> = Promise.resolve()

  constructor(
    db: RedisExpertClient,
    queues: readonly string[],
    handlers: Readonly<Record<string, RqHandler>>,
    options?: RqWorkerOptions,
  ) {
    if (typeof db?.call !== 'function')
      throw invalidArgument('new RqWorker: db must be a client from connect()')
    if (!Array.isArray(queues) || queues.length === 0)
      throw invalidArgument('new RqWorker: queues must be a non-empty array of queue names')
    if (typeof handlers !== 'object' || handlers === null || Array.isArray(handlers))
      throw invalidArgument(
        "new RqWorker: handlers must map function names to functions, e.g. { 'tasks.add': fn }",
      )
    const entries = Object.entries(handlers)
    if (entries.length === 0) throw invalidArgument('new RqWorker: handlers is empty')
    for (const [func, handler] of entries)
      if (typeof handler !== 'function')
        throw invalidArgument(`new RqWorker: the handler of '${func}' is not a function`)
    const o = strictOptions('RqWorker options', options, RQ_WORKER_OPTIONS) as RqWorkerOptions
    const keyspace = openRq(db, 'RqWorker')
    this.queues = [...new Set(queues.map((q) => rqName('queue name', q)))]
    this.#keys = new Map(this.queues.map((q) => [q, rqKeys(keyspace, q)]))
    this.#byQueueKey = new Map(this.queues.map((q) => [rqKeys(keyspace, q).queue, q]))
    this.#db = db
    this.#handlers = new Map(entries)
    this.name =
      o.name === undefined
        ? `${hostname().replace(/[^A-Za-z0-9._-]/g, '-')}.${process.pid}.${randomBytes(4).toString('hex')}`
        : rqName('name', o.name)
    this.#slots = new Slots(positiveInt('concurrency', o.concurrency, 1, 10_000))
    this.#blockMs = durationMs('blockMs', o.blockMs, 1000)
    this.#heartbeatMs = durationMs('heartbeatMs', o.heartbeatMs, 30_000)
    this.#resultTtl = resultTtlS('resultTtl', o.resultTtl) ?? DEFAULT_RESULT_TTL_S
    this.#cleanupMs = o.cleanupMs === 0 ? 0 : durationMs('cleanupMs', o.cleanupMs, 600_000)
    if (o.onError !== undefined && typeof o.onError !== 'function')
      throw invalidArgument('onError must be a function')
    if (o.blocking !== undefined && typeof o.blocking?.call !== 'function')
      throw invalidArgument('blocking must be a client from connect()')
    this.#givenBlocking = o.blocking
    if (o.withScheduler !== undefined && typeof o.withScheduler !== 'boolean')
      throw invalidArgument('withScheduler must be true or false')
    this.#withScheduler = o.withScheduler === true
    this.#onError = o.onError ?? (() => {})
  }

  /** Opens the blocking connection, cleans the registries once, and starts taking jobs. */
  async start(): Promise<void> {
    if (this.#state !== 'new') throw invalidArgument('start(): this worker was already started')
    this.#state = 'starting'
    try {
      this.#blocking = this.#givenBlocking ?? (await openSibling(this.#db, `rq-worker-${this.name}`))
    } catch (error) {
      this.#state = 'new' // nothing was started: start() may be called again
      throw error
    }
    openRq(this.#blocking, 'RqWorker')
    if (this.#cleanupMs > 0) {
      await this.cleanup().catch((error: unknown) => this.#onError(error))
      const timer = setInterval(() => {
        this.cleanup().catch((error: unknown) => this.#onError(error))
      }, this.#cleanupMs)
      timer.unref()
      this.#timers.push(timer)
    }
    if (this.#withScheduler) {
      const pass = () => {
        this.#scheduling = this.#scheduling
          .then(() => this.#schedule())
          .then(
            () => {},
            (error: unknown) => this.#onError(error),
          )
      }
      pass()
      await this.#scheduling
      const timer = setInterval(pass, SCHEDULER_INTERVAL_S * 1000)
      timer.unref()
      this.#timers.push(timer)
    }
    const beat = setInterval(() => this.#heartbeat(), this.#heartbeatMs)
    beat.unref()
    this.#timers.push(beat)
    this.#state = 'running'
    this.#loop = this.#takeLoop()
  }

  /**
   * Graceful: takes no more jobs (waits for the BLPOP in flight, at most blockMs, and runs what
   * it returns), lets running jobs finish and records their outcomes, then closes the connection
   * it opened.
   */
  async close(): Promise<void> {
    if (this.#state === 'closed' || this.#state === 'closing') return
    const wasStarted = this.#state !== 'new'
    this.#state = 'closing'
    this.#slots.wake()
    if (wasStarted) {
      await this.#loop
      await this.#slots.drained()
    }
    for (const timer of this.#timers) clearInterval(timer)
    if (this.#withScheduler && wasStarted) {
      await this.#scheduling
      await this.#schedule(true).catch((error: unknown) => this.#onError(error))
    }
    if (this.#blocking && this.#blocking !== this.#givenBlocking) await this.#blocking.close()
    this.#state = 'closed'
  }

  stats(): RqWorkerStats {
    return { ...this.#stats, running: this.#slots.used }
  }

  /**
   * rq/registry.py StartedJobRegistry.cleanup (+ Finished/Failed cleanup) for every queue of this
   * worker: jobs whose heartbeat expiry passed — their worker died — are retried when they have
   * retries left, else failed with "Moved to FailedJobRegistry at …". One script per queue.
   * `force` skips RQ's 899 s cleaning lock.
   */
  async cleanup(options?: { force?: boolean }): Promise<{ failed: number; retried: number }> {
    const o = strictOptions('cleanup options', options, ['force'])
    const total = { failed: 0, retried: 0 }
    for (const keys of this.#keys.values()) {
      const one = await cleanRegistries(this.#db, keys, o.force === true)
      if (one) {
        total.failed += one.failed
        total.retried += one.retried
      }
    }
    return total
  }

  /** One pass of the scheduler over this worker's queues (or, with `release`, giving up its locks). */
  async #schedule(release = false): Promise<number> {
    let moved = 0
    for (const keys of this.#keys.values())
      moved += await enqueueDueJobs(this.#db, keys, this.#token, SCHEDULER_INTERVAL_S + 60, release)
    return moved
  }

  async #takeLoop(): Promise<void> {
    const blocking = this.#blocking!
    const queueKeys = [...this.#byQueueKey.keys()]
    while (this.#state === 'running') {
      await this.#slots.waitFree()
      if (this.#state !== 'running') break
      let popped: Reply
      try {
        // rq/queue.py Queue.lpop: BLPOP over the queue keys in priority order.
        popped = await blocking.call(['BLPOP', ...queueKeys, (this.#blockMs / 1000).toFixed(3)], {
          timeoutMs: this.#blockMs + BLOCK_MARGIN_MS,
          allow: RQ_ALLOW,
        })
      } catch (error) {
        this.#onError(error)
        await new Promise((resolve) => setTimeout(resolve, ERROR_BACKOFF_MS))
        continue
      }
      if (!Array.isArray(popped)) continue
      const queue = this.#byQueueKey.get(String(popped[0])) ?? this.queues[0]!
      // Popped: from here on the job is ours, even while closing.
      this.#slots.take()
      this.#run(String(popped[1]), queue)
        .catch((error: unknown) => this.#onError(error, { id: String(popped[1]), queue }))
        .finally(() => this.#slots.release())
    }
  }

  async #run(id: string, queue: string): Promise<void> {
    const keys = this.#keys.get(queue)!
    if (!RQ_NAME.test(id)) {
      await this.#failOddId(id, queue, keys)
      return
    }
    const now = Date.now()
    const fields = (await runScript(
      this.#db,
      START,
      { job: keys.job(id), started: keys.started },
      { id, now: utcformat(now), worker: this.name, expiry: timestampS(now) + this.#heartbeatTtlS() },
      { buffers: true },
    )) as (Buffer | null)[] | null
    if (!Array.isArray(fields)) return // rq/queue.py dequeue_any skips a job whose hash is gone
    const started: Started = { id, queue, keys, fields }
    this.#running.set(id, started)
    try {
      await this.#execute(started)
    } finally {
      this.#running.delete(id)
    }
  }

  /**
   * Python may enqueue ids with characters a key parameter escapes (`user:42`): the keyspace
   * cannot name `rq:job:user:42`, so the job is failed through db.unsafe with RQ's raw key names
   * — marked failed and reported, never silently dropped.
   */
  async #failOddId(id: string, queue: string, keys: RqKeys): Promise<void> {
    const error = new RedisExpertError(
      'MESSAGE_INVALID',
      `RQ job id '${id.slice(0, 100)}' from ${keys.queue} has characters outside A-Z a-z 0-9 . _ ~ -, which this worker does not run`,
      { details: { jobId: id, queue } },
    )
    this.#onError(error, { id, queue })
    const rawJob = `${keys.jobPrefix}${id}`
    await this.#db.unsafe({ reason: 'fail an RQ job whose id the rq keyspace cannot express' }, (raw) =>
      runScript(
        raw,
        FAIL,
        {
          job: rawJob,
          started: keys.started,
          failed: keys.failed,
          results: `${keys.jobPrefix.replace(/job:$/, 'results:')}${id}`,
          queue: keys.queue,
          scheduled: keys.scheduled,
          queues: keys.queues,
        },
        {
          id,
          endedAt: utcformat(Date.now()),
          failureTtl: DEFAULT_FAILURE_TTL_S,
          now: timestampS(Date.now()),
          excString: failureEntry(`redis_expert.MessageInvalid: ${error.message}`)[3]!,
          retry: '0',
        },
      ),
    )
    this.#stats.failed++
  }

  async #execute(job: Started): Promise<void> {
    const [data, timeoutRaw, resultTtlRaw, failureTtlRaw, description, , metaRaw] = job.fields
    const failureTtl = intField(failureTtlRaw) ?? DEFAULT_FAILURE_TTL_S
    let call: ReturnType<typeof decodeJobData>
    try {
      call = decodeJobData(data)
    } catch (error) {
      this.#onError(error, { id: job.id, queue: job.queue })
      const e = error as RedisExpertError
      // Not retried: the same bytes would fail the same way.
      await this.#fail(job, `redis_expert.MessageInvalid: ${e.message}`, failureTtl, false)
      return
    }
    const handler = this.#handlers.get(call.func)
    if (!handler) {
      await this.#fail(
        job,
        `LookupError: no handler for '${call.func}' on TypeScript RQ worker ${this.name} (it handles ${[...this.#handlers.keys()].join(', ')})`,
        failureTtl,
        true,
      )
      return
    }
    let meta: JsonValue = {}
    if (metaRaw && metaRaw.length > 0) {
      try {
        meta = JSON.parse(metaRaw.toString('utf8')) as JsonValue
      } catch {
        meta = null
      }
    }
    // rq/worker.py perform_job: `job.timeout or Queue.DEFAULT_TIMEOUT`; -1 means no limit.
    const timeoutS = intField(timeoutRaw) || DEFAULT_TIMEOUT_S
    const abort = new AbortController()
    let timer: NodeJS.Timeout | undefined
    const task: RqTask = {
      id: job.id,
      queue: job.queue,
      func: call.func,
      args: call.args,
      kwargs: call.kwargs,
      meta,
      description: description ? description.toString('utf8') : null,
      signal: abort.signal,
    }
    let value: unknown
    try {
      const run = Promise.resolve().then(() => handler(task))
      if (timeoutS > 0) {
        const limit = new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            // rq/timeouts.py: the message RQ's death penalty raises.
            const error = new Error(`Task exceeded maximum timeout value (${timeoutS} seconds)`)
            error.name = 'rq.timeouts.JobTimeoutException'
            abort.abort(error)
            reject(error)
          }, timeoutS * 1000)
        })
        value = await Promise.race([run, limit])
      } else value = await run
    } catch (error) {
      await this.#fail(job, excString(error), failureTtl, true)
      return
    } finally {
      if (timer) clearTimeout(timer)
    }
    const problem = value === undefined ? null : jsonProblem(value, 'result')
    if (problem) {
      await this.#fail(
        job,
        `TypeError: the return value is not JSON serializable: ${problem}`,
        failureTtl,
        true,
      )
      return
    }
    const resultTtl = intField(resultTtlRaw) ?? this.#resultTtl
    const entry = successEntry(value as JsonValue | undefined)
    await runScript(
      this.#db,
      FINISH,
      {
        job: job.keys.job(job.id),
        started: job.keys.started,
        finished: job.keys.finished,
        results: job.keys.results(job.id),
      },
      {
        id: job.id,
        endedAt: utcformat(Date.now()),
        resultTtl,
        now: timestampS(Date.now()),
        returnValue: entry[3] ?? '',
      },
    )
    this.#stats.finished++
  }

  async #fail(job: Started, exc: string, failureTtl: number, retry: boolean): Promise<void> {
    const k = job.keys
    const outcome = await runScript(
      this.#db,
      FAIL,
      {
        job: k.job(job.id),
        started: k.started,
        failed: k.failed,
        results: k.results(job.id),
        queue: k.queue,
        scheduled: k.scheduled,
        queues: k.queues,
      },
      {
        id: job.id,
        endedAt: utcformat(Date.now()),
        failureTtl,
        now: timestampS(Date.now()),
        excString: failureEntry(exc)[3]!,
        retry: retry ? '1' : '0',
      },
    )
    if (String(outcome) === 'failed') this.#stats.failed++
    else if (String(outcome) !== 'gone') this.#stats.retried++
  }

  /** rq/worker.py get_heartbeat_ttl without a job timeout: job_monitoring_interval + 60 s. */
  #heartbeatTtlS(): number {
    return Math.ceil(this.#heartbeatMs / 1000) + 60
  }

  #heartbeat(): void {
    const now = Date.now()
    for (const job of this.#running.values()) {
      runScript(
        this.#db,
        HEARTBEAT,
        { job: job.keys.job(job.id), started: job.keys.started },
        { id: job.id, now: utcformat(now), expiry: timestampS(now) + this.#heartbeatTtlS() },
      ).catch((error: unknown) => this.#onError(error, { id: job.id, queue: job.queue }))
    }
  }
}

/** An integer field of the job hash (RQ writes them in decimal); undefined when absent or not a number. */
function intField(raw: Buffer | null | undefined): number | undefined {
  if (!raw || raw.length === 0) return undefined
  const n = Number(raw.toString('utf8'))
  return Number.isSafeInteger(n) ? n : undefined
}

/**
 * The exc_info text Python readers expect: a traceback whose last line is `Type: message`
 * (rq/worker.py formats traceback.format_exception). Here: the JavaScript stack, then that line.
 */
export function excString(error: unknown): string {
  if (error instanceof Error) {
    const frames = (error.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line))
    const type = error.name || 'Error'
    return `Traceback (most recent call last, TypeScript):\n${frames.join('\n')}\n${type}: ${error.message}`
  }
  return `Error: ${typeof error === 'string' ? error : (JSON.stringify(error) ?? String(error))}`
}
