import type { Client } from '../client/client.js'
import { optionNames } from '../common/validate.js'
import type { WorkerCoreOptions } from '../kit/worker-core.js'
import type { JsonValue } from './format.js'

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
  /** Aborted when the job's timeout passes (the job is then failed with JobTimeoutException), or when close()'s deadline passes. */
  readonly signal: AbortSignal
}

/** Returns the job's result: any JSON value (undefined counts as None). */
export type RqHandler = (task: RqTask) => unknown

/**
 * An RQ worker's options: its name, the blocking wait, heartbeats, cleanup, and the shared worker options.
 */
export interface RqWorkerOptions extends WorkerCoreOptions<{ readonly id: string; readonly queue: string }> {
  /** worker_name written on each job; default `<host>.<pid>.<random>` (RQ: a uuid hex). */
  readonly name?: string
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
  readonly blocking?: Client
}

/** What an RQ worker has done since it started. */
export interface RqWorkerStats {
  readonly finished: number
  readonly failed: number
  /** Failed runs put back (or scheduled) because the job had retries left. */
  readonly retried: number
  readonly running: number
}

export const RQ_WORKER_OPTIONS = optionNames<RqWorkerOptions>({
  name: true,
  concurrency: true,
  blockMs: true,
  heartbeatMs: true,
  resultTtl: true,
  cleanupMs: true,
  withScheduler: true,
  blocking: true,
  onError: true,
  autorun: true,
  closeTimeoutMs: true,
})
