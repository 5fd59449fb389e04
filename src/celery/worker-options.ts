import type { Client } from '../client/client.js'
import { optionNames } from '../common/validate.js'
import type { WorkerCoreOptions } from '../kit/worker-core.js'
import type { JsonValue } from './json.js'

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
  /**
   * Fires when `close()` stops waiting for running handlers (its timeout passed): the message
   * stays unacked, and kombu's restore puts it back for another worker.
   */
  readonly signal: AbortSignal
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

/**
 * A Celery worker's options: the task handlers, the queues to consume, concurrency and prefetch, and the
 * shared worker options.
 */
export interface CeleryWorkerOptions
  extends WorkerCoreOptions<{ readonly id: string; readonly name: string }> {
  /** Handlers by Celery task name, e.g. `{ 'proj.tasks.add': ([a, b]) => a + b }` (more with `register`). */
  readonly tasks?: Readonly<Record<string, TaskHandler>>
  /** Queues to consume, in kombu's order; default the Celery instance's defaultQueue. */
  readonly queues?: readonly string[]
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
  readonly reader?: Client
}

/** What a Celery worker has done since it started. */
export interface CeleryWorkerStats {
  readonly succeeded: number
  readonly failed: number
  readonly expired: number
  readonly invalid: number
  readonly restored: number
  readonly running: number
  readonly held: number
}

export const CELERY_WORKER_OPTIONS = optionNames<CeleryWorkerOptions>({
  tasks: true,
  queues: true,
  concurrency: true,
  prefetch: true,
  pollMs: true,
  restoreEveryMs: true,
  reader: true,
  onError: true,
  autorun: true,
  closeTimeoutMs: true,
})
