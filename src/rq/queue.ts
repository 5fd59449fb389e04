import { randomUUID } from 'node:crypto'
import type { Client } from '../client/client.js'
import { assertClient, type Duration, durationMs, optionNames, strictOptions } from '../common/validate.js'
import { invalidArgument } from '../errors.js'
import {
  callString,
  DEFAULT_TIMEOUT_S,
  encodeJobData,
  type JsonValue,
  timestampS,
  utcformat,
} from './format.js'
import { RqJob } from './job.js'
import { openRq, type RqKeys, rqKeys } from './keyspace.js'
import {
  bool,
  failureTtlS,
  funcName,
  jsonArgs,
  jsonObject,
  type RetryOption,
  type RqTimeout,
  type RqTtl,
  resultTtlS,
  retryOption,
  rqName,
  text,
  timeoutS,
} from './options.js'
import { ENQUEUE, RQ_CALL } from './scripts.js'

/** An RQ queue's options. */
export interface RqQueueOptions {
  /** The timeout of jobs that name none (rq/queue.py default_timeout); default 180 s. */
  readonly defaultTimeout?: RqTimeout
}

/**
 * What to enqueue for a Python RQ worker: arguments, timeouts, result and failure retention, retries,
 * description.
 */
export interface EnqueueOptions {
  /** Positional arguments: JSON values. */
  readonly args?: readonly JsonValue[]
  /** Keyword arguments: JSON values. */
  readonly kwargs?: { readonly [name: string]: JsonValue }
  /** Default: a random UUID, as RQ makes. Enqueueing an existing id writes over that job, as RQ does. */
  readonly jobId?: string
  /** How long the worker lets it run; 'none' = no limit. Rounded up to whole seconds. */
  readonly timeout?: RqTimeout
  /** How long the result is kept; 0 = not at all, 'forever'. Default: the worker's (RQ: 500 s). */
  readonly resultTtl?: RqTtl | 0
  /** How long a failure is kept; default: one year (RQ's). */
  readonly failureTtl?: RqTtl
  /** How long the job may wait in the queue before it is dropped (EXPIRE on the hash). */
  readonly ttl?: Duration
  /** Default: the call as Python prints it, e.g. "tasks.add(1, 2)". */
  readonly description?: string
  readonly meta?: { readonly [key: string]: JsonValue }
  /** LPUSH instead of RPUSH: the next job a worker takes. */
  readonly atFront?: boolean
  /** Failed runs are retried (rq.Retry): `{ max: 3, intervals: [10, 60] }`. */
  readonly retry?: RetryOption
}

const ENQUEUE_OPTIONS = optionNames<EnqueueOptions>({
  args: true,
  kwargs: true,
  jobId: true,
  timeout: true,
  resultTtl: true,
  failureTtl: true,
  ttl: true,
  description: true,
  meta: true,
  atFront: true,
  retry: true,
})

/**
 * A producer for Python RQ 1.13 workers run with `--serializer rq.serializers.JSONSerializer`.
 * Standalone or Sentinel only: a Cluster client is refused (NOT_SUPPORTED).
 */
export class RqQueue {
  readonly name: string
  readonly keys: RqKeys
  readonly #db: Client
  readonly #defaultTimeout: number

  constructor(db: Client, name = 'default', options?: RqQueueOptions) {
    assertClient(db, 'new RqQueue: db')
    const o = strictOptions('RqQueue options', options, ['defaultTimeout']) as RqQueueOptions
    this.name = rqName('queue name', name)
    this.keys = rqKeys(openRq(db, 'RqQueue'), this.name)
    this.#db = db
    this.#defaultTimeout = timeoutS(o.defaultTimeout, DEFAULT_TIMEOUT_S)
  }

  /**
   * Enqueues `func(*args, **kwargs)` for a Python worker: one script, one round trip (SADD
   * rq:queues, HSET the job hash, EXPIRE when `ttl`, RPUSH/LPUSH).
   */
  enqueue<R = JsonValue>(func: string, options?: EnqueueOptions): Promise<RqJob<R>> {
    return this.#enqueue<R>(func, options, null)
  }

  /**
   * Puts the job in the ScheduledJobRegistry for `when` (rq/queue.py enqueue_at): a Python worker
   * started with `--with-scheduler` moves it to the queue once due (scores are whole seconds).
   * One round trip.
   */
  enqueueAt<R = JsonValue>(when: Date, func: string, options?: EnqueueOptions): Promise<RqJob<R>> {
    if (!(when instanceof Date) || Number.isNaN(when.getTime()))
      throw invalidArgument('enqueueAt: when must be a valid Date')
    return this.#enqueue<R>(func, options, timestampS(when.getTime()))
  }

  /** enqueueAt(now + delay). */
  enqueueIn<R = JsonValue>(delay: Duration, func: string, options?: EnqueueOptions): Promise<RqJob<R>> {
    const ms = durationMs('delay', delay)
    return this.#enqueue<R>(func, options, timestampS(Date.now() + ms))
  }

  /** A handle on any job id (no round trip). */
  job<R = JsonValue>(id: string): RqJob<R> {
    return new RqJob<R>(this.#db, this.keys, rqName('job id', id))
  }

  /** Jobs waiting in the queue: LLEN. */
  async count(): Promise<number> {
    return Number(await this.#db.call(['LLEN', this.keys.queue]))
  }

  async #enqueue<R>(
    func: string,
    options: EnqueueOptions | undefined,
    runAt: number | null,
  ): Promise<RqJob<R>> {
    const o = strictOptions('enqueue options', options, ENQUEUE_OPTIONS) as EnqueueOptions
    const call = {
      func: funcName(func),
      args: jsonArgs(o.args),
      kwargs: jsonObject('kwargs', o.kwargs) ?? {},
    }
    const id = o.jobId === undefined ? randomUUID() : rqName('jobId', o.jobId)
    const timeout = timeoutS(o.timeout, this.#defaultTimeout)
    const resultTtl = resultTtlS('resultTtl', o.resultTtl)
    const failureTtl = failureTtlS(o.failureTtl)
    const ttl = o.ttl === undefined ? undefined : Math.ceil(durationMs('ttl', o.ttl) / 1000)
    const description = text('description', o.description) ?? callString(call)
    const meta = jsonObject('meta', o.meta)
    const atFront = bool('atFront', o.atFront)
    const retry = retryOption(o.retry)
    const opt = (n: number | undefined) => (n === undefined ? '' : n)
    await ENQUEUE.run(
      this.#db,
      {
        job: this.keys.job(id),
        queue: this.keys.queue,
        queues: this.keys.queues,
        scheduled: this.keys.scheduled,
      },
      {
        id,
        data: encodeJobData(call),
        createdAt: utcformat(Date.now()),
        origin: this.name,
        description,
        timeout,
        resultTtl: opt(resultTtl),
        failureTtl: opt(failureTtl),
        ttl: opt(ttl),
        // RQ writes meta only when it is non-empty (rq/job.py to_dict: `if self.meta`).
        meta: meta && Object.keys(meta).length > 0 ? JSON.stringify(meta) : '',
        atFront: atFront ? '1' : '0',
        runAt: runAt === null ? '' : runAt,
        retriesLeft: retry ? retry.left : '',
        retryIntervals: retry ? JSON.stringify(retry.intervals) : '',
      },
      RQ_CALL,
    )
    return new RqJob<R>(this.#db, this.keys, id)
  }
}
