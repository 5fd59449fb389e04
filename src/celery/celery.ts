import { randomUUID } from 'node:crypto'
import type { Client } from '../client/client.js'
import type { Command } from '../common/types.js'
import { nonNegativeInt, optionNames, strictOptions } from '../common/validate.js'
import { invalidArgument } from '../errors.js'
import { assertJson, type JsonValue } from './json.js'
import { BINDING_PREFIX, bindingEntry, celeryBatch } from './keys.js'
import { encodeTask } from './message.js'
import {
  type CeleryOptions,
  finiteNumber,
  queueName,
  type ResolvedCeleryOptions,
  resolveCeleryOptions,
  taskName,
  text,
  timeOf,
} from './options.js'
import { AsyncResult, ResultBackend } from './result.js'
import { CeleryWorker, type CeleryWorkerOptions } from './worker.js'

export interface SendTaskOptions {
  /** The queue (kombu routes by the default exchange: the routing key is the queue). Default: the Celery instance's defaultQueue. */
  readonly queue?: string
  /** Run no earlier than this many seconds from now (Celery's countdown, in seconds). */
  readonly countdown?: number
  /** Run no earlier than this time (a Date, or ms since the epoch). Not with countdown. */
  readonly eta?: Date | number
  /** Discard the task (state REVOKED) if it has not started by then: seconds from now, or a Date. */
  readonly expires?: Date | number
  /** kombu's Redis priority, 0-9; 0 (the default) is taken first, as in kombu's Redis transport. */
  readonly priority?: number
  /** The task id, default a random UUID. */
  readonly taskId?: string
  /** Ask the worker not to store the result (Celery's ignore_result header). */
  readonly ignoreResult?: boolean
}

const SEND_OPTIONS = optionNames<SendTaskOptions>({
  queue: true,
  countdown: true,
  eta: true,
  expires: true,
  priority: true,
  taskId: true,
  ignoreResult: true,
})

/**
 * Celery interop over the Redis broker and result backend, in both directions: send tasks to
 * Python Celery workers and read their results, or work tasks sent from Python.
 */
export class Celery {
  readonly db: Client
  readonly options: ResolvedCeleryOptions
  readonly #backend: ResultBackend
  /** Queues whose kombu binding this instance has written (Python's producer declares each once too). */
  readonly #bound = new Set<string>()

  constructor(db: Client, options?: CeleryOptions) {
    this.options = resolveCeleryOptions(db, options)
    this.db = db
    this.#backend = new ResultBackend(db)
  }

  /**
   * Puts a protocol-2 task message on the queue exactly as Python's `app.send_task` does: the
   * envelope LPUSHed to the queue's list for its priority. The first send to a queue also
   * SADDs the queue's binding (`_kombu.binding.<queue>`), as kombu's queue declaration does, in
   * the same pipeline: one round trip either way (LPUSH, plus SADD the first time).
   */
  async sendTask<T = JsonValue>(
    name: string,
    args: readonly unknown[] = [],
    kwargs: Readonly<Record<string, unknown>> = {},
    options?: SendTaskOptions,
  ): Promise<AsyncResult<T>> {
    const task = taskName('task name', name)
    if (!Array.isArray(args)) throw invalidArgument('args must be an array')
    assertJson('args', args)
    if (typeof kwargs !== 'object' || kwargs === null || Array.isArray(kwargs))
      throw invalidArgument('kwargs must be a plain object')
    assertJson('kwargs', kwargs)
    const o = strictOptions('sendTask options', options, SEND_OPTIONS)
    const queue = o.queue === undefined ? this.options.defaultQueue : queueName('queue', o.queue)
    const now = Date.now()
    if (o.countdown !== undefined && o.eta !== undefined)
      throw invalidArgument('give countdown or eta, not both')
    const eta =
      o.countdown !== undefined
        ? now + finiteNumber('countdown', o.countdown, 0) * 1000
        : o.eta !== undefined
          ? timeOf('eta', o.eta)
          : null
    const expires =
      o.expires === undefined
        ? null
        : typeof o.expires === 'number'
          ? now + finiteNumber('expires', o.expires, 0) * 1000
          : timeOf('expires', o.expires)
    // kombu's Redis transport has priorities 0 to 9.
    const priority = nonNegativeInt('priority', o.priority, 0, 9)
    if (o.ignoreResult !== undefined && typeof o.ignoreResult !== 'boolean')
      throw invalidArgument('ignoreResult must be a boolean')
    const id = o.taskId === undefined ? randomUUID() : text('taskId', o.taskId, 255)
    const encoded = encodeTask({
      id,
      name: task,
      args: args as JsonValue[],
      kwargs: kwargs as Record<string, JsonValue>,
      queue,
      eta,
      expires,
      priority,
      origin: this.options.origin,
      ignoreResult: o.ignoreResult === true,
    })
    const commands: Command[] = []
    const binding = !this.#bound.has(queue)
    if (binding) commands.push(['SADD', `${BINDING_PREFIX}${queue}`, bindingEntry(queue)])
    commands.push(['LPUSH', encoded.list, encoded.raw])
    await celeryBatch(this.db, commands)
    if (binding) this.#bound.add(queue)
    return new AsyncResult<T>(id, this.#backend)
  }

  /** The result of any task by id (sent from here or from Python). */
  asyncResult<T = JsonValue>(taskId: string): AsyncResult<T> {
    return new AsyncResult<T>(text('taskId', taskId, 255), this.#backend)
  }

  /** A worker for tasks sent from Python (or from here); `start()` it. */
  worker(options: CeleryWorkerOptions = {}): CeleryWorker {
    return new CeleryWorker(this, options)
  }

  /** Closes the pub/sub connection result waits share (not the client, which the caller owns). */
  close(): Promise<void> {
    return this.#backend.close()
  }
}
