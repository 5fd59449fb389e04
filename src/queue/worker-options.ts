import { optionNames } from '../common/validate.js'
import type { WorkerCoreOptions } from '../kit/worker-core.js'

/**
 * A queue worker's options: namespace, lease, polling, result retention, events stream length, and the
 * shared worker options (concurrency, close timeout, error handler).
 */
export interface WorkerOptions extends WorkerCoreOptions<{ id: string; name: string }> {
  readonly namespace?: string
  /**
   * A running job's lease, default 30 s, renewed every third of it while the handler runs. A
   * worker that dies stops renewing: once the lease passes its jobs stalled, and go back to
   * waiting (see the job option maxStalls). Leases are counted on the server's clock.
   */
  readonly leaseMs?: number
  /**
   * An idle worker waits for the queue's wake-up signal (a blocking pop that an add answers at
   * once); this is the longest such wait, default 5000 ms — a safety net, not a polling rate.
   * The wait also ends when a delayed job is due or a lease expires.
   */
  readonly pollMs?: number
  /** How long a completed job (and its result) is kept, default 24 h. */
  readonly resultTtlMs?: number
  /**
   * About how many events the queue's events stream keeps, default 10 000; 0 writes no events.
   * The events one call records share one entry, capped with MAXLEN ~ eventsMaxLen ÷ its events.
   */
  readonly eventsMaxLen?: number
}

/** BullMQ's worker options (and a few likely slips) and where they live here. */
export const WORKER_HINTS = {
  jobTimeoutMs: ['timeoutMs', 'a job option: queue.add(name, data, { timeoutMs })'],
  timeoutMs: ['timeoutMs', 'a job option: queue.add(name, data, { timeoutMs })'],
  lockDuration: ['leaseMs', 'the lease of a running job'],
  lockRenewTime: ['leaseMs', 'leases are renewed every leaseMs / 3'],
  stalledInterval: ['leaseMs', 'a lease is checked by every take call'],
  maxStalledCount: ['maxStalls', 'a job option: queue.add(name, data, { maxStalls })'],
  drainDelay: ['pollMs', 'the longest idle wait'],
  removeOnComplete: ['resultTtlMs', 'how long a completed job is kept'],
} as const

export const WORKER_OPTIONS = optionNames<WorkerOptions>({
  namespace: true,
  concurrency: true,
  leaseMs: true,
  pollMs: true,
  resultTtlMs: true,
  eventsMaxLen: true,
  onError: true,
  autorun: true,
  closeTimeoutMs: true,
})

/** What a queue worker has done since it started. */
export interface WorkerStats {
  readonly completed: number
  readonly failed: number
  readonly dead: number
  readonly running: number
  /** Jobs of take calls whose reply was lost, or handed over and never received, given back uncounted. */
  readonly returned: number
}

/** The counters a worker keeps (WorkerStats but `running`, which it counts live). */
export type WorkerCounters = { -readonly [K in Exclude<keyof WorkerStats, 'running'>]: number }

/** Counts one recorded outcome of the take script: 'completed', 'retry', 'dead' (or 'lost': none). */
export function countOutcome(counters: WorkerCounters, outcome: unknown): void {
  if (outcome === 'completed') counters.completed++
  else if (outcome === 'retry') counters.failed++
  else if (outcome === 'dead') {
    counters.failed++
    counters.dead++
  }
}
