import type { Client } from '../client/client.js'
import type { SubscriberPort } from '../client/subscriptions.js'
import { type Duration, durationMs, strictOptions } from '../common/validate.js'
import { RedisExpertError } from '../errors.js'
import type { JsonValue } from './json.js'
import { celeryCall, resultKey } from './keys.js'
import { decodeMeta, failureError, READY_STATES, type ResultMeta, type TaskState } from './meta.js'

/** Options of `result.get()`. */
export interface GetOptions {
  /** How long to wait for the result, default 30 s; then RESULT_TIMEOUT. */
  readonly timeout?: Duration
}

/**
 * Reads Celery's Redis result backend: `celery-task-meta-<id>`, which the worker SETs and
 * PUBLISHes on the channel of the same name (celery/backends/redis.py, RedisBackend._set).
 *
 * Waiting: GET first — one round trip when the task is done, the common case for a result read
 * after the fact. Otherwise SUBSCRIBE to the key's channel (on one pub/sub connection shared by
 * every wait of this Celery instance), GET again (the result may have landed between the first
 * GET and the subscription: pub/sub keeps nothing), and take the meta from the PUBLISH itself,
 * which carries it whole: no GET after the message. Polling would cost a round trip per interval
 * and add up to an interval of latency; Celery's own AsyncResult.get() subscribes the same way.
 * When the pub/sub connection comes back after a drop (messages may have been missed), every
 * waiter GETs again; a final GET runs before RESULT_TIMEOUT.
 */
export class ResultBackend {
  readonly #db: Client
  #port: Promise<SubscriberPort> | null = null
  readonly #rechecks = new Set<() => void>()

  constructor(db: Client) {
    this.#db = db
  }

  /** The stored meta, or null (PENDING: unknown, not run yet, or expired). One GET. */
  async read(taskId: string): Promise<ResultMeta | null> {
    const key = resultKey(taskId)
    const raw = await celeryCall<string | null>(this.#db, ['GET', key])
    return raw === null ? null : decodeMeta(raw, key)
  }

  async wait(taskId: string, timeoutMs: number): Promise<ResultMeta> {
    const first = await this.read(taskId)
    if (first && READY_STATES.includes(first.status)) return first
    const key = resultKey(taskId)
    const port = await this.#subscriber()
    return new Promise<ResultMeta>((resolve, reject) => {
      let settled = false
      const finish = (meta: ResultMeta | null, error?: unknown) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        this.#rechecks.delete(recheck)
        port.unsubscribe('channel', key, listener).catch(() => {})
        if (meta) resolve(meta)
        else reject(error)
      }
      const recheck = () => {
        this.read(taskId).then(
          (meta) => {
            if (meta && READY_STATES.includes(meta.status)) finish(meta)
          },
          (error) => finish(null, error),
        )
      }
      const listener = (payload: Buffer) => {
        try {
          const meta = decodeMeta(payload.toString('utf8'), key)
          if (READY_STATES.includes(meta.status)) finish(meta)
        } catch (error) {
          finish(null, error)
        }
      }
      const timer = setTimeout(() => {
        this.read(taskId).then(
          (meta) =>
            meta && READY_STATES.includes(meta.status)
              ? finish(meta)
              : finish(
                  null,
                  new RedisExpertError(
                    'RESULT_TIMEOUT',
                    `no result for task ${taskId} within ${timeoutMs} ms`,
                    {
                      details: { taskId, timeoutMs, status: meta?.status ?? 'PENDING' },
                    },
                  ),
                ),
          (error) => finish(null, error),
        )
      }, timeoutMs)
      this.#rechecks.add(recheck)
      port.subscribe('channel', key, listener).then(recheck, (error) => finish(null, error))
    })
  }

  async close(): Promise<void> {
    const port = this.#port
    this.#port = null
    if (port) await (await port.catch(() => null))?.close()
  }

  #subscriber(): Promise<SubscriberPort> {
    if (!this.#port) {
      const opening = this.#db.subscriber().then((port) => {
        port.onStateChange((state) => {
          if (state === 'up') for (const recheck of this.#rechecks) recheck()
        })
        return port
      })
      opening.catch(() => {
        if (this.#port === opening) this.#port = null
      })
      this.#port = opening
    }
    return this.#port
  }
}

/** A task's result, from a task sent here or anywhere else (Python included). */
export class AsyncResult<T = JsonValue> {
  readonly id: string
  readonly #backend: ResultBackend

  constructor(id: string, backend: ResultBackend) {
    this.id = id
    this.#backend = backend
  }

  /**
   * The task's return value once it has one. TASK_FAILED when it raised (details: excType,
   * excMessage, excModule, traceback) or was revoked (expired); RESULT_TIMEOUT when no result
   * came within `timeout`. Round trips: one GET when the result is there; otherwise GET,
   * SUBSCRIBE, GET, then the PUBLISH is the answer (and an UNSUBSCRIBE that nothing waits for).
   */
  async get(options?: GetOptions): Promise<T> {
    const o = strictOptions('get options', options, ['timeout'])
    const timeoutMs = durationMs('timeout', o.timeout, 30_000)
    const meta = await this.#backend.wait(this.id, timeoutMs)
    if (meta.status === 'SUCCESS') return meta.result as T
    throw failureError(this.id, meta)
  }

  /** Celery's state: PENDING until a worker stores an outcome (or after it expired). One GET. */
  async status(): Promise<TaskState> {
    return ((await this.#backend.read(this.id))?.status ?? 'PENDING') as TaskState
  }

  /** The stored meta as Celery wrote it, or null. One GET. */
  meta(): Promise<ResultMeta | null> {
    return this.#backend.read(this.id)
  }
}
