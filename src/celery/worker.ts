import type { Client } from '../client/client.js'
import type { Reply } from '../common/types.js'
import { assertClient, durationMs, positiveInt, strictOptions } from '../common/validate.js'
import { invalidArgument, RedisExpertError } from '../errors.js'
import { WorkerCore } from '../kit/worker-core.js'
import { deadLetterMessage, finishTask, touchTags } from './ack.js'
import { assertJson } from './json.js'
import { celeryCall, celeryUnsafe, DEAD_LETTER_PREFIX, queueLists, UNACKED, UNACKED_INDEX } from './keys.js'
import { decodeTask, type IncomingTask, invalidMessage } from './message.js'
import { failureMeta, notRegisteredMeta, revokedMeta, successMeta } from './meta.js'
import { type CeleryApp, queueName, taskName } from './options.js'
import { restoreTags, visibleTags } from './restore.js'
import { TAKE } from './scripts.js'
import {
  CELERY_WORKER_OPTIONS,
  type CeleryWorkerOptions,
  type CeleryWorkerStats,
  type TaskHandler,
  type TaskInfo,
} from './worker-options.js'

export type { CeleryWorkerOptions, CeleryWorkerStats, TaskHandler, TaskInfo } from './worker-options.js'

interface Held {
  readonly task: IncomingTask
  readonly queue: string
  timer: NodeJS.Timeout | null
  started: boolean
}

/** Extra time a blocking read's own timeout allows beyond its wait. */
const BLOCK_MARGIN_MS = 5000
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
export class CeleryWorker extends WorkerCore<{ readonly id: string; readonly name: string }> {
  readonly celery: CeleryApp
  readonly queues: readonly string[]
  readonly prefetch: number
  readonly #tasks = new Map<string, TaskHandler>()
  readonly #pollMs: number
  readonly #restoreEveryMs: number
  readonly #visibilityMs: number
  readonly #ownsReader: boolean
  #reader: Client | undefined
  #loop: Promise<void> | null = null
  readonly #held = new Map<string, Held>()
  readonly #ready: Held[] = []
  #nextQueue = 0
  #wakeLoop: (() => void) | null = null
  #stats = { succeeded: 0, failed: 0, expired: 0, invalid: 0, restored: 0 }

  constructor(celery: CeleryApp, options: CeleryWorkerOptions = {}) {
    const o = strictOptions('CeleryWorker options', options, CELERY_WORKER_OPTIONS)
    super(o as CeleryWorkerOptions)
    this.celery = celery
    const queues = o.queues === undefined ? [celery.options.defaultQueue] : o.queues
    if (!Array.isArray(queues) || queues.length === 0)
      throw invalidArgument('queues must be a non-empty array')
    this.queues = Object.freeze([...new Set(queues.map((q, i) => queueName(`queues[${i}]`, q)))])
    this.prefetch = positiveInt('prefetch', o.prefetch, this.concurrency * 4, 100_000)
    if (this.prefetch < this.concurrency) throw invalidArgument('prefetch must be ≥ concurrency')
    this.#pollMs = durationMs('pollMs', o.pollMs, 1000)
    this.#visibilityMs = celery.options.visibilityTimeoutMs
    this.#restoreEveryMs = durationMs(
      'restoreEveryMs',
      o.restoreEveryMs,
      Math.max(50, Math.min(10_000, Math.floor(this.#visibilityMs / 2))),
    )
    if (o.reader !== undefined) assertClient(o.reader, 'reader')
    this.#reader = o.reader as Client | undefined
    this.#ownsReader = o.reader === undefined
    if (o.tasks !== undefined) {
      if (typeof o.tasks !== 'object' || o.tasks === null)
        throw invalidArgument('tasks must be an object of handlers')
      for (const [name, handler] of Object.entries(o.tasks)) this.register(name, handler as TaskHandler)
    }
    this.autostart()
  }

  /** Adds a handler for a Celery task name (replacing one of the same name). */
  register(name: string, handler: TaskHandler): this {
    const task = taskName('task name', name)
    if (typeof handler !== 'function') throw invalidArgument(`the handler of '${task}' must be a function`)
    this.#tasks.set(task, handler)
    return this
  }

  protected override async open(): Promise<void> {
    this.#reader ??= await this.celery.db.sibling('celery-worker-reader')
  }

  protected begin(): void {
    this.every(this.#restoreEveryMs, () => this.#restoreVisible())
    this.#loop = this.#readLoop()
  }

  /** Held messages are kept visible every visibility timeout / 3 (see #touch). */
  protected override renewEveryMs(): number {
    return Math.max(50, Math.floor(this.#visibilityMs / 3))
  }

  protected override async renew(): Promise<void> {
    if (this.#held.size > 0) await touchTags(this.celery.db, this.#held.keys())
  }

  /**
   * Stops taking messages and puts back the ones held but not started (waiting for their eta or
   * a free slot), as kombu restores unacked messages at shutdown; running handlers then finish
   * (close's timeoutMs bounds the wait; those still running stay in `unacked` and are restored
   * after the visibility timeout). Keeping them visible goes on until the end.
   */
  protected async stopTaking(): Promise<void> {
    this.stopTimers()
    this.#wakeLoop?.()
    if (this.#ownsReader) await this.#reader?.close().catch(() => {})
    await this.#loop
    const waiting = [...this.#held.values()].filter((h) => !h.started)
    for (const h of waiting) if (h.timer) clearTimeout(h.timer)
    this.#ready.length = 0
    if (waiting.length > 0) {
      const tags = waiting.map((h) => h.task.deliveryTag)
      for (const tag of tags) this.#held.delete(tag)
      await restoreTags(this.celery.db, tags).catch((error) => this.reportError(error))
    }
  }

  /** Counters since start, with the tasks running and held now. */
  stats(): CeleryWorkerStats {
    return { ...this.#stats, running: this.slots.used, held: this.#held.size }
  }

  async #readLoop(): Promise<void> {
    while (this.running) {
      if (this.#held.size >= this.prefetch) {
        await new Promise<void>((resolve) => (this.#wakeLoop = resolve))
        this.#wakeLoop = null
        continue
      }
      try {
        if ((await this.#takeSome()) > 0) continue
        if (!this.running) break
        const queue = this.queues[this.#nextQueue++ % this.queues.length]!
        // Blocks until the queue has a message, which it moves onto itself: no change.
        await celeryCall(this.#reader!, ['BLMOVE', queue, queue, 'RIGHT', 'RIGHT', this.#pollMs / 1000], {
          timeoutMs: this.#pollMs + BLOCK_MARGIN_MS,
        })
      } catch (error) {
        if (!this.running) break
        this.reportError(error)
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
      this.reportError(invalidMessage(`not a kombu envelope; moved to ${DEAD_LETTER_PREFIX}${queue}`, raw))
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
    while (this.running && this.slots.free > 0 && this.#ready.length > 0) {
      const held = this.#ready.shift()!
      held.started = true
      this.slots.take()
      void this.#run(held).finally(() => {
        this.#held.delete(held.task.deliveryTag)
        this.slots.release()
        this.#wakeLoop?.()
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
      this.reportError(
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
        signal: this.closingSignal,
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
      this.reportError(error, ref)
      meta = failureMeta(task.id, error)
    }
    await this.#finish(task, meta)
  }

  /** Stores the outcome and acks; retried, since until it lands the task would run again. */
  async #finish(task: IncomingTask, meta: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await finishTask(this.celery.db, task, meta, this.celery.options.resultExpiresSeconds)
      } catch (error) {
        this.reportError(error, { id: task.id, name: task.name })
        if (attempt >= 3) return
        await new Promise((resolve) => setTimeout(resolve, ERROR_BACKOFF_MS * attempt))
      }
    }
  }

  /** An undecodable message leaves `unacked` for the dead-letter list, atomically, and is reported. */
  async #deadLetter(raw: string, queue: string, error: unknown): Promise<void> {
    await deadLetterMessage(this.celery.db, raw, queue).catch((storeError) => this.reportError(storeError))
    this.reportError(error)
  }

  async #restoreVisible(): Promise<void> {
    if (!this.running) return
    try {
      const tags = await visibleTags(this.celery.db, this.#visibilityMs)
      const others = tags.filter((tag) => !this.#held.has(tag))
      if (others.length > 0) this.#stats.restored += await restoreTags(this.celery.db, others)
    } catch (error) {
      this.reportError(error)
    }
  }
}
