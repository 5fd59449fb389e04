import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import type { Client } from '../client/client.js'
import type { Reply } from '../common/types.js'
import { assertClient, durationMs, strictOptions } from '../common/validate.js'
import { invalidArgument, RedisExpertError } from '../errors.js'
import { WorkerCore } from '../kit/worker-core.js'
import {
  DEFAULT_FAILURE_TTL_S,
  DEFAULT_RESULT_TTL_S,
  DEFAULT_TIMEOUT_S,
  decodeJobData,
  type JsonValue,
  jsonProblem,
  timestampS,
  utcformat,
} from './format.js'
import { openRq, RQ_NAME, type RqKeys, rqKeys } from './keyspace.js'
import { cleanRegistries, enqueueDueJobs } from './maintenance.js'
import { resultTtlS, rqName } from './options.js'
import { excString, failJob, failOddJob, finishJob, intField, type Started, withTimeout } from './run-job.js'
import { HEARTBEAT, RQ_ALLOW, RQ_BINARY_CALL, RQ_CALL, START } from './scripts.js'
import {
  RQ_WORKER_OPTIONS,
  type RqHandler,
  type RqTask,
  type RqWorkerOptions,
  type RqWorkerStats,
} from './worker-options.js'

export { excString } from './run-job.js'
export type { RqHandler, RqTask, RqWorkerOptions, RqWorkerStats } from './worker-options.js'

const BLOCK_MARGIN_MS = 5_000
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
export class RqWorker extends WorkerCore<{ readonly id: string; readonly queue: string }> {
  readonly name: string
  readonly queues: readonly string[]
  readonly #db: Client
  readonly #handlers: ReadonlyMap<string, RqHandler>
  readonly #keys: ReadonlyMap<string, RqKeys>
  readonly #byQueueKey: ReadonlyMap<string, string>
  readonly #blockMs: number
  readonly #heartbeatMs: number
  readonly #resultTtl: number
  readonly #cleanupMs: number
  readonly #givenBlocking: Client | undefined
  readonly #withScheduler: boolean
  readonly #token = `${hostname()}.${process.pid}.${randomBytes(6).toString('hex')}`
  readonly #running = new Map<string, Started>()
  #blocking: Client | null = null
  #loop: Promise<void> = Promise.resolve()
  #stats = { finished: 0, failed: 0, retried: 0 }
  /** Scheduler passes run one after another, so that close() can release the locks last. */
  #scheduling: Promise<void> = Promise.resolve()

  constructor(
    db: Client,
    queues: readonly string[],
    handlers: Readonly<Record<string, RqHandler>>,
    options?: RqWorkerOptions,
  ) {
    assertClient(db, 'new RqWorker: db')
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
    super(o)
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
    this.#blockMs = durationMs('blockMs', o.blockMs, 1000)
    this.#heartbeatMs = durationMs('heartbeatMs', o.heartbeatMs, 30_000)
    this.#resultTtl = resultTtlS('resultTtl', o.resultTtl) ?? DEFAULT_RESULT_TTL_S
    this.#cleanupMs = o.cleanupMs === 0 ? 0 : durationMs('cleanupMs', o.cleanupMs, 600_000)
    if (o.blocking !== undefined) assertClient(o.blocking, 'blocking')
    this.#givenBlocking = o.blocking
    if (o.withScheduler !== undefined && typeof o.withScheduler !== 'boolean')
      throw invalidArgument('withScheduler must be true or false')
    this.#withScheduler = o.withScheduler === true
    this.autostart()
  }

  /** Opens the blocking connection, cleans the registries once (and runs a scheduler pass). */
  protected override async open(): Promise<void> {
    this.#blocking = this.#givenBlocking ?? (await this.#db.sibling(`rq-worker-${this.name}`))
    openRq(this.#blocking, 'RqWorker')
    if (this.#cleanupMs > 0) await this.cleanup().catch((error: unknown) => this.reportError(error))
    if (this.#withScheduler) await this.#schedulePass()
  }

  protected begin(): void {
    if (this.#cleanupMs > 0) this.every(this.#cleanupMs, () => this.cleanup())
    if (this.#withScheduler) this.every(SCHEDULER_INTERVAL_S * 1000, () => this.#schedulePass())
    this.#loop = this.#takeLoop()
  }

  /** rq/worker.py job_monitoring_interval: running jobs heartbeat every heartbeatMs. */
  protected override renewEveryMs(): number {
    return this.#heartbeatMs
  }

  protected override renew(): void {
    this.#heartbeat()
  }

  /** Takes no more jobs: waits for the BLPOP in flight (at most blockMs) and runs what it returns. */
  protected async stopTaking(): Promise<void> {
    this.slots.wake()
    await this.#loop
  }

  /** Gives up the scheduler locks, then closes the connection it opened. */
  protected override async shutdown(): Promise<void> {
    this.stopTimers()
    if (this.#withScheduler && this.#blocking) {
      await this.#scheduling
      await this.#schedule(true).catch((error: unknown) => this.reportError(error))
    }
    if (this.#blocking && this.#blocking !== this.#givenBlocking) await this.#blocking.close()
  }

  /** Scheduler passes run one after another, so that shutdown can release the locks last. */
  #schedulePass(): Promise<void> {
    this.#scheduling = this.#scheduling
      .then(() => this.#schedule())
      .then(
        () => {},
        (error: unknown) => this.reportError(error),
      )
    return this.#scheduling
  }

  /** Counters since start, with the jobs running now. */
  stats(): RqWorkerStats {
    return { ...this.#stats, running: this.slots.used }
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
    while (this.running) {
      await this.slots.waitFree()
      if (!this.running) break
      let popped: Reply
      try {
        // rq/queue.py Queue.lpop: BLPOP over the queue keys in priority order.
        popped = await blocking.call(['BLPOP', ...queueKeys, (this.#blockMs / 1000).toFixed(3)], {
          timeoutMs: this.#blockMs + BLOCK_MARGIN_MS,
          allow: RQ_ALLOW,
        })
      } catch (error) {
        this.reportError(error)
        await new Promise((resolve) => setTimeout(resolve, ERROR_BACKOFF_MS))
        continue
      }
      if (!Array.isArray(popped)) continue
      const queue = this.#byQueueKey.get(String(popped[0])) ?? this.queues[0]!
      // Popped: from here on the job is ours, even while closing.
      this.slots.take()
      this.#run(String(popped[1]), queue)
        .catch((error: unknown) => this.reportError(error, { id: String(popped[1]), queue }))
        .finally(() => this.slots.release())
    }
  }

  async #run(id: string, queue: string): Promise<void> {
    const keys = this.#keys.get(queue)!
    if (!RQ_NAME.test(id)) {
      await this.#failOddId(id, queue, keys)
      return
    }
    const now = Date.now()
    const fields = (await START.run(
      this.#db,
      { job: keys.job(id), started: keys.started },
      { id, now: utcformat(now), worker: this.name, expiry: timestampS(now) + this.#heartbeatTtlS() },
      RQ_BINARY_CALL,
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

  /** An id the rq keyspace cannot name: failed and reported, never silently dropped (run-job.ts). */
  async #failOddId(id: string, queue: string, keys: RqKeys): Promise<void> {
    const error = new RedisExpertError(
      'MESSAGE_INVALID',
      `RQ job id '${id.slice(0, 100)}' from ${keys.queue} has characters outside A-Z a-z 0-9 . _ ~ -, which this worker does not run`,
      { details: { jobId: id, queue } },
    )
    this.reportError(error, { id, queue })
    await failOddJob(this.#db, id, keys, error.message)
    this.#stats.failed++
  }

  async #execute(job: Started): Promise<void> {
    const [data, timeoutRaw, resultTtlRaw, failureTtlRaw, description, , metaRaw] = job.fields
    const failureTtl = intField(failureTtlRaw) ?? DEFAULT_FAILURE_TTL_S
    let call: ReturnType<typeof decodeJobData>
    try {
      call = decodeJobData(data)
    } catch (error) {
      this.reportError(error, { id: job.id, queue: job.queue })
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
    const abort = new AbortController()
    const task: RqTask = {
      id: job.id,
      queue: job.queue,
      func: call.func,
      args: call.args,
      kwargs: call.kwargs,
      meta,
      description: description ? description.toString('utf8') : null,
      signal: AbortSignal.any([abort.signal, this.closingSignal]),
    }
    let value: unknown
    try {
      // rq/worker.py perform_job: `job.timeout or Queue.DEFAULT_TIMEOUT`; -1 means no limit.
      value = await withTimeout(() => handler(task), intField(timeoutRaw) || DEFAULT_TIMEOUT_S, abort)
    } catch (error) {
      await this.#fail(job, excString(error), failureTtl, true)
      return
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
    await finishJob(this.#db, job, value as JsonValue | undefined, intField(resultTtlRaw) ?? this.#resultTtl)
    this.#stats.finished++
  }

  async #fail(job: Started, exc: string, failureTtl: number, retry: boolean): Promise<void> {
    const outcome = await failJob(this.#db, job, exc, failureTtl, retry)
    if (outcome === 'failed') this.#stats.failed++
    else if (outcome !== 'gone') this.#stats.retried++
  }

  /** rq/worker.py get_heartbeat_ttl without a job timeout: job_monitoring_interval + 60 s. */
  #heartbeatTtlS(): number {
    return Math.ceil(this.#heartbeatMs / 1000) + 60
  }

  #heartbeat(): void {
    const now = Date.now()
    for (const job of this.#running.values()) {
      HEARTBEAT.run(
        this.#db,
        { job: job.keys.job(job.id), started: job.keys.started },
        { id: job.id, now: utcformat(now), expiry: timestampS(now) + this.#heartbeatTtlS() },
        RQ_CALL,
      ).catch((error: unknown) => this.reportError(error, { id: job.id, queue: job.queue }))
    }
  }
}
