import type { RedisExpertClient } from '../client/client.js'
import type { Reply } from '../client/types.js'
import { durationMs, optionNames, positiveInt, strictOptions } from '../common/validate.js'
import { invalidArgument, RedisExpertError } from '../errors.js'
import { openSibling } from '../messaging/connection.js'
import type { Celery } from './celery.js'
import { assertJson, type JsonValue } from './json.js'
import {
  celeryBatch,
  celeryCall,
  celeryUnsafe,
  DEAD_LETTER_PREFIX,
  queueLists,
  resultKey,
  UNACKED,
  UNACKED_INDEX,
} from './keys.js'
import { decodeTask, deliveryTagOf, type IncomingTask, invalidMessage } from './message.js'
import { failureMeta, notRegisteredMeta, revokedMeta, successMeta } from './meta.js'
import { queueName, taskName } from './options.js'
import { restoreTags, visibleTags } from './restore.js'
import { FINISH, TAKE } from './scripts.js'

/** What a handler learns about the task it runs. */
export interface TaskInfo {
  readonly id: string
  readonly name: string
  readonly retries: number
  /** ms since the epoch, or null. */
  readonly eta: number | null
  readonly expires: number | null
  /** The queue it was taken from. */
  readonly queue: string
  /** True when it was put back after a worker died holding it: it may have run before. */
  readonly redelivered: boolean
}

/**
 * Runs one task: args and kwargs as Python sent them; the return value (JSON; undefined is
 * null) is the result Python's AsyncResult.get() returns; a throw is a FAILURE Python raises.
 */
export type TaskHandler = (
  args: JsonValue[],
  kwargs: Record<string, JsonValue>,
  task: TaskInfo,
) => unknown | Promise<unknown>

export interface CeleryWorkerOptions {
  /** Handlers by Celery task name, e.g. `{ 'proj.tasks.add': ([a, b]) => a + b }` (more with `register`). */
  readonly tasks?: Readonly<Record<string, TaskHandler>>
  /** Queues to consume, in kombu's order; default the Celery instance's defaultQueue. */
  readonly queues?: readonly string[]
  /** Tasks run at once, default 1. */
  readonly concurrency?: number
  /**
   * Messages held at once, running or waiting for their eta, default 4 × concurrency (Celery's
   * worker_prefetch_multiplier). Held messages sit in `unacked` and are kept visible.
   */
  readonly prefetch?: number
  /** Longest wait of one blocking read of an idle queue, default 1000 ms (see docs: priority lists). */
  readonly pollMs?: number
  /** How often to look for messages whose visibility timeout passed, default min(10 s, visibility timeout / 2). */
  readonly restoreEveryMs?: number
  /** The connection for blocking reads; default: a second connection opened by `start()`. */
  readonly reader?: RedisExpertClient
  /** Handler failures, undecodable messages (MESSAGE_INVALID) and background errors; the worker goes on. */
  readonly onError?: (error: unknown, task?: { readonly id: string; readonly name: string }) => void
}

export interface CeleryWorkerStats {
  readonly succeeded: number
  readonly failed: number
  readonly expired: number
  readonly invalid: number
  readonly restored: number
  readonly running: number
  readonly held: number
}

interface Held {
  readonly task: IncomingTask
  readonly queue: string
  timer: NodeJS.Timeout | null
  started: boolean
}

/** Extra time a blocking read's own timeout allows beyond its wait. */
const BLOCK_MARGIN_MS = 5000
const CELERY_WORKER_OPTIONS = optionNames<CeleryWorkerOptions>({
  tasks: true,
  queues: true,
  concurrency: true,
  prefetch: true,
  pollMs: true,
  restoreEveryMs: true,
  reader: true,
  onError: true,
})
const ERROR_BACKOFF_MS = 200
/** Longest single timer (setTimeout overflows past 2^31 - 1 ms); a longer eta re-arms. */
const MAX_TIMER_MS = 2 ** 31 - 1

/**
 * A worker for Celery tasks on kombu's Redis transport.
 *
 * Taking a message: the TAKE script pops it and records it in `unacked` + `unacked_index` in one
 * atomic step, so a message is never only in this process's memory. A script cannot block, so
 * when every queue is empty the worker blocks on a dedicated connection with
 * `BLMOVE <queue> <queue> RIGHT RIGHT <pollMs>`: it returns as soon as the queue has a message
 * and moves it onto itself (the last element stays the last: nothing changes), then TAKE runs.
 *
 * Acking: the FINISH script stores the result and removes the message from `unacked` atomically,
 * after the handler returns: at-least-once (a worker that dies mid-task leaves the message in
 * `unacked`, and after the visibility timeout it runs again, here or on a Python worker).
 */
export class CeleryWorker {
  readonly celery: Celery
  readonly queues: readonly string[]
  readonly concurrency: number
  readonly prefetch: number
  readonly #tasks = new Map<string, TaskHandler>()
  readonly #pollMs: number
  readonly #restoreEveryMs: number
  readonly #visibilityMs: number
  readonly #onError: (error: unknown, task?: { readonly id: string; readonly name: string }) => void
  readonly #ownsReader: boolean
  #reader: RedisExpertClient | undefined
  #state: 'new' | 'running' | 'closing' | 'closed' = 'new'
  #loop: Promise<void> | null = null
  #restoreTimer: NodeJS.Timeout | undefined
  #touchTimer: NodeJS.Timeout | undefined
  readonly #held = new Map<string, Held>()
  readonly #ready: Held[] = []
  #running = 0
  #nextQueue = 0
  #wakeLoop: (() => void) | null = null
  #drained: (() => void)[] = []
  #stats = { succeeded: 0, failed: 0, expired: 0, invalid: 0, restored: 0 }

  constructor(celery: Celery, options: CeleryWorkerOptions = {}) {
    this.celery = celery
    const o = strictOptions('CeleryWorker options', options, CELERY_WORKER_OPTIONS)
    const queues = o.queues === undefined ? [celery.options.defaultQueue] : o.queues
    if (!Array.isArray(queues) || queues.length === 0)
      throw invalidArgument('queues must be a non-empty array')
    this.queues = Object.freeze([...new Set(queues.map((q, i) => queueName(`queues[${i}]`, q)))])
    this.concurrency = positiveInt('concurrency', o.concurrency, 1, 10_000)
    this.prefetch = positiveInt('prefetch', o.prefetch, this.concurrency * 4, 100_000)
    if (this.prefetch < this.concurrency) throw invalidArgument('prefetch must be ≥ concurrency')
    this.#pollMs = durationMs('pollMs', o.pollMs, 1000)
    this.#visibilityMs = celery.options.visibilityTimeoutMs
    this.#restoreEveryMs = durationMs(
      'restoreEveryMs',
      o.restoreEveryMs,
      Math.max(50, Math.min(10_000, Math.floor(this.#visibilityMs / 2))),
    )
    if (o.onError !== undefined && typeof o.onError !== 'function')
      throw invalidArgument('onError must be a function')
    this.#onError = (o.onError as CeleryWorkerOptions['onError']) ?? (() => {})
    if (o.reader !== undefined && typeof (o.reader as RedisExpertClient)?.call !== 'function')
      throw invalidArgument('reader must be a client from connect()')
    this.#reader = o.reader as RedisExpertClient | undefined
    this.#ownsReader = o.reader === undefined
    if (o.tasks !== undefined) {
      if (typeof o.tasks !== 'object' || o.tasks === null)
        throw invalidArgument('tasks must be an object of handlers')
      for (const [name, handler] of Object.entries(o.tasks)) this.register(name, handler as TaskHandler)
    }
  }

  /** Adds a handler for a Celery task name (replacing one of the same name). */
  register(name: string, handler: TaskHandler): this {
    const task = taskName('task name', name)
    if (typeof handler !== 'function') throw invalidArgument(`the handler of '${task}' must be a function`)
    this.#tasks.set(task, handler)
    return this
  }

  /** Opens the blocking-read connection and starts consuming. */
  async start(): Promise<void> {
    if (this.#state !== 'new') throw invalidArgument('a worker starts once')
    this.#state = 'running'
    try {
      this.#reader ??= await openSibling(this.celery.db, 'celery-worker-reader')
    } catch (error) {
      this.#state = 'closed'
      throw error
    }
    this.#restoreTimer = setInterval(() => void this.#restoreVisible(), this.#restoreEveryMs)
    this.#touchTimer = setInterval(() => void this.#touch(), Math.max(50, Math.floor(this.#visibilityMs / 3)))
    this.#restoreTimer.unref()
    this.#touchTimer.unref()
    this.#loop = this.#readLoop()
  }

  /**
   * Graceful shutdown: stops taking messages, puts back the ones held but not started (waiting
   * for their eta or a free slot, as kombu restores unacked messages at shutdown), and waits for
   * running handlers (up to `timeoutMs`, default unlimited; those still running then stay in
   * `unacked` and are restored after the visibility timeout).
   */
  async close(options?: { readonly timeoutMs?: number }): Promise<void> {
    const o = strictOptions('close options', options, ['timeoutMs'])
    const timeoutMs = o.timeoutMs === undefined ? undefined : durationMs('timeoutMs', o.timeoutMs)
    if (this.#state === 'closed' || this.#state === 'closing') return
    const started = this.#state === 'running'
    this.#state = 'closing'
    // The touch timer runs on until the handlers are done: a task finishing during shutdown
    // must stay visible, or another worker would restore it and run it twice.
    clearInterval(this.#restoreTimer)
    this.#wakeLoop?.()
    if (this.#ownsReader) await this.#reader?.close().catch(() => {})
    await this.#loop
    if (started) {
      const waiting = [...this.#held.values()].filter((h) => !h.started)
      for (const h of waiting) if (h.timer) clearTimeout(h.timer)
      this.#ready.length = 0
      if (waiting.length > 0) {
        const tags = waiting.map((h) => h.task.deliveryTag)
        for (const tag of tags) this.#held.delete(tag)
        await restoreTags(this.celery.db, tags).catch((error) => this.#onError(error))
      }
      if (this.#running > 0) {
        const drained = new Promise<void>((resolve) => this.#drained.push(resolve))
        if (timeoutMs === undefined) await drained
        else {
          let timer: NodeJS.Timeout | undefined
          await Promise.race([
            drained,
            new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
          ])
          clearTimeout(timer)
        }
      }
    }
    clearInterval(this.#touchTimer)
    this.#state = 'closed'
  }

  stats(): CeleryWorkerStats {
    return { ...this.#stats, running: this.#running, held: this.#held.size }
  }

  async #readLoop(): Promise<void> {
    while (this.#state === 'running') {
      if (this.#held.size >= this.prefetch) {
        await new Promise<void>((resolve) => (this.#wakeLoop = resolve))
        this.#wakeLoop = null
        continue
      }
      try {
        if ((await this.#takeSome()) > 0) continue
        if (this.#state !== 'running') break
        const queue = this.queues[this.#nextQueue++ % this.queues.length]!
        // Blocks until the queue has a message, which it moves onto itself: no change.
        await celeryCall(this.#reader!, ['BLMOVE', queue, queue, 'RIGHT', 'RIGHT', this.#pollMs / 1000], {
          timeoutMs: this.#pollMs + BLOCK_MARGIN_MS,
        })
      } catch (error) {
        if (this.#state !== 'running') break
        this.#onError(error)
        await new Promise((resolve) => setTimeout(resolve, ERROR_BACKOFF_MS))
      }
    }
  }

  /** Tries each queue in turn (rotating the first) until one yields messages; resolves to how many. */
  async #takeSome(): Promise<number> {
    const n = this.queues.length
    const first = this.#nextQueue
    for (let i = 0; i < n; i++) {
      const queue = this.queues[(first + i) % n]!
      const count = this.prefetch - this.#held.size
      if (count <= 0) return 0
      const lists = queueLists(queue)
      const reply = await celeryUnsafe(this.celery.db, (db) =>
        TAKE.run<Reply[]>(
          db,
          {
            unacked: UNACKED,
            unackedIndex: UNACKED_INDEX,
            list0: lists[0],
            list3: lists[1],
            list6: lists[2],
            list9: lists[3],
            dead: `${DEAD_LETTER_PREFIX}${queue}`,
          },
          { now: Date.now() / 1000, queue, count },
        ),
      )
      if (reply.length === 0) continue
      for (let j = 0; j + 1 < reply.length; j += 2)
        this.#accept(String(reply[j]), String(reply[j + 1]), queue)
      return reply.length / 2
    }
    return 0
  }

  #accept(kind: string, raw: string, queue: string): void {
    if (kind === 'dead') {
      this.#stats.invalid++
      this.#onError(invalidMessage(`not a kombu envelope; moved to ${DEAD_LETTER_PREFIX}${queue}`, raw))
      return
    }
    let task: IncomingTask
    try {
      task = decodeTask(raw)
    } catch (error) {
      this.#stats.invalid++
      void this.#deadLetter(raw, queue, error)
      return
    }
    const held: Held = { task, queue, timer: null, started: false }
    this.#held.set(task.deliveryTag, held)
    this.#schedule(held)
  }

  /** Celery's worker holds an eta task in memory until it is due; so does this one (the message stays in unacked, kept visible). */
  #schedule(held: Held): void {
    const wait = held.task.eta === null ? 0 : held.task.eta - Date.now()
    if (wait <= 0) {
      held.timer = null
      this.#ready.push(held)
      this.#pump()
      return
    }
    held.timer = setTimeout(() => this.#schedule(held), Math.min(wait, MAX_TIMER_MS))
  }

  #pump(): void {
    while (this.#state === 'running' && this.#running < this.concurrency && this.#ready.length > 0) {
      const held = this.#ready.shift()!
      held.started = true
      this.#running++
      void this.#run(held).finally(() => {
        this.#running--
        this.#held.delete(held.task.deliveryTag)
        this.#wakeLoop?.()
        if (this.#running === 0) for (const resolve of this.#drained.splice(0)) resolve()
        this.#pump()
      })
    }
  }

  async #run(held: Held): Promise<void> {
    const task = held.task
    const ref = { id: task.id, name: task.name }
    if (task.expires !== null && Date.now() > task.expires) {
      this.#stats.expired++
      await this.#finish(task, revokedMeta(task.id, 'expired'))
      return
    }
    const handler = this.#tasks.get(task.name)
    if (!handler) {
      this.#stats.failed++
      this.#onError(
        new RedisExpertError('TASK_FAILED', `no handler registered for task '${task.name}'`, {
          details: { taskId: task.id, excType: 'NotRegistered' },
        }),
        ref,
      )
      await this.#finish(task, notRegisteredMeta(task.id, task.name))
      return
    }
    let meta: string
    try {
      const info: TaskInfo = {
        id: task.id,
        name: task.name,
        retries: task.retries,
        eta: task.eta,
        expires: task.expires,
        queue: held.queue,
        redelivered: task.redelivered,
      }
      const value = (await handler(task.args, task.kwargs, info)) ?? null
      try {
        assertJson('the result', value)
      } catch (error) {
        throw new TypeError(
          `the result of ${task.name} is not JSON serializable: ${(error as Error).message}`,
        )
      }
      meta = successMeta(task.id, value)
      this.#stats.succeeded++
    } catch (error) {
      this.#stats.failed++
      this.#onError(error, ref)
      meta = failureMeta(task.id, error)
    }
    await this.#finish(task, meta)
  }

  /** Stores the outcome and acks, in one script; retried, since until it lands the task would run again. */
  async #finish(task: IncomingTask, meta: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await celeryUnsafe(this.celery.db, (db) =>
          FINISH.run(
            db,
            { result: resultKey(task.id), unacked: UNACKED, unackedIndex: UNACKED_INDEX },
            {
              meta,
              ttlSeconds: this.celery.options.resultExpiresSeconds,
              tag: task.deliveryTag,
              store: task.ignoreResult ? '0' : '1',
            },
          ),
        )
        return
      } catch (error) {
        this.#onError(error, { id: task.id, name: task.name })
        if (attempt >= 3) return
        await new Promise((resolve) => setTimeout(resolve, ERROR_BACKOFF_MS * attempt))
      }
    }
  }

  /** An undecodable message leaves `unacked` for the dead-letter list, atomically, and is reported. */
  async #deadLetter(raw: string, queue: string, error: unknown): Promise<void> {
    const tag = deliveryTagOf(raw) ?? ''
    const dead = `${DEAD_LETTER_PREFIX}${queue}`
    try {
      await celeryBatch(
        this.celery.db,
        [
          ['ZREM', UNACKED_INDEX, tag],
          ['HDEL', UNACKED, tag],
          ['LPUSH', dead, raw],
        ],
        { atomic: true },
      )
    } catch (storeError) {
      this.#onError(storeError)
    }
    this.#onError(error)
  }

  /**
   * Keeps held messages visible: their `unacked_index` score is the time taken, and a restorer
   * (this worker's, or a Python worker's restore_visible) puts back any older than the visibility
   * timeout. A task that runs (or waits for its eta) longer than that must not run twice. XX: a
   * message acked or restored meanwhile is not added back. One round trip for all held messages.
   */
  async #touch(): Promise<void> {
    if (this.#held.size === 0 || this.#state === 'closed') return
    const now = Date.now() / 1000
    const command: (string | number)[] = ['ZADD', UNACKED_INDEX, 'XX']
    for (const tag of this.#held.keys()) command.push(now, tag)
    try {
      await celeryCall(this.celery.db, command)
    } catch (error) {
      this.#onError(error)
    }
  }

  async #restoreVisible(): Promise<void> {
    if (this.#state !== 'running') return
    try {
      const tags = await visibleTags(this.celery.db, this.#visibilityMs)
      const others = tags.filter((tag) => !this.#held.has(tag))
      if (others.length > 0) this.#stats.restored += await restoreTags(this.celery.db, others)
    } catch (error) {
      this.#onError(error)
    }
  }
}
