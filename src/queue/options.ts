import { durationMs, optionNames, positiveInt, strictOptions } from '../common/validate.js'
import { invalidArgument } from '../errors.js'

/** How long a failed job waits before its next attempt. */
export interface Backoff {
  readonly type: 'fixed' | 'exponential'
  /** Fixed: every retry waits this long; exponential: the first, doubling after. With ±50 % jitter. */
  readonly delayMs: number
}

/** Per-job options of `add`: id, delay, priority, attempts, backoff, timeout, stalls, result retention. */
export interface JobOptions {
  /** Your id for the job: adding the same id again yields the existing job (idempotency). */
  readonly jobId?: string
  /** Run no earlier than this many ms from now. */
  readonly delayMs?: number
  /** 0 (default) runs first; higher numbers wait for lower ones. At most 1000. */
  readonly priority?: number
  /**
   * Attempts before the job is dead, default 1. An attempt is a run of the handler that ended
   * with its outcome (a result, a throw or its timeout): a worker that crashed mid-job did not
   * use one (that is a stall).
   */
  readonly attempts?: number
  /**
   * Stalls tolerated, default 1 (as BullMQ's `maxStalledCount`): a job whose lease expires — its
   * worker crashed, was killed or blocked its event loop past the lease — goes back to waiting
   * and counts a stall; one more stall than this and it is dead. 0: dead at the first stall.
   */
  readonly maxStalls?: number
  readonly backoff?: Backoff
  /** An attempt running longer than this fails (the handler's AbortSignal fires). */
  readonly timeoutMs?: number
}

export interface ResolvedJobOptions {
  readonly jobId: string | undefined
  readonly delayMs: number
  readonly priority: number
  readonly attempts: number
  readonly backoff: Backoff
  readonly timeoutMs: number
  readonly maxStalls: number
}

/**
 * The options the scripts read, packed into one hash field (`opts`): 'priority|attempts|backoff
 * type|backoff ms|timeout ms|max stalls'.
 */
export function packOptions(o: Omit<ResolvedJobOptions, 'jobId' | 'delayMs'>): string {
  return `${o.priority}|${o.attempts}|${o.backoff.type}|${o.backoff.delayMs}|${o.timeoutMs}|${o.maxStalls}`
}

export function unpackOptions(text: string | undefined): {
  priority: number
  attempts: number
  backoff: Backoff
  timeoutMs: number
  maxStalls: number
} {
  const [p, a, type, ms, timeout, stalls] = (text ?? '').split('|')
  return {
    priority: Number(p ?? 0) || 0,
    attempts: Number(a ?? 1) || 1,
    backoff: { type: type === 'exponential' ? 'exponential' : 'fixed', delayMs: Number(ms ?? 0) || 0 },
    timeoutMs: Number(timeout ?? 0) || 0,
    maxStalls: stalls === undefined ? 1 : Number(stalls),
  }
}

/** Ids become key parameters that the scripts rebuild keys from: unreserved characters only. */
const JOB_ID = /^[A-Za-z0-9._~-]{1,128}$/

const JOB_OPTIONS = optionNames<JobOptions>({
  jobId: true,
  delayMs: true,
  priority: true,
  attempts: true,
  backoff: true,
  timeoutMs: true,
  maxStalls: true,
})
const BACKOFF_OPTIONS = optionNames<Backoff>({ type: true, delayMs: true })

/** `defaultJobOptions`, checked once (unknown keys refused). */
export function jobDefaults(value: unknown): JobOptions {
  return strictOptions('defaultJobOptions', value, JOB_OPTIONS) as JobOptions
}

export function resolveJobOptions(value: unknown, defaults: Partial<JobOptions> = {}): ResolvedJobOptions {
  const o = { ...defaults, ...strictOptions('job options', value, JOB_OPTIONS) } as Record<string, unknown>
  if (o.jobId !== undefined && (typeof o.jobId !== 'string' || !JOB_ID.test(o.jobId)))
    throw invalidArgument('jobId must be 1–128 characters of A-Z a-z 0-9 . _ ~ -', { jobId: o.jobId })
  const delayMs = o.delayMs === undefined || o.delayMs === 0 ? 0 : durationMs('delayMs', o.delayMs)
  const priority =
    o.priority === undefined || o.priority === 0 ? 0 : positiveInt('priority', o.priority, 0, 1000)
  const backoff = strictOptions('backoff', o.backoff ?? { type: 'fixed', delayMs: 0 }, BACKOFF_OPTIONS)
  if (backoff.type !== 'fixed' && backoff.type !== 'exponential')
    throw invalidArgument("backoff.type must be 'fixed' or 'exponential'", { backoff })
  const backoffMs = backoff.delayMs === 0 ? 0 : durationMs('backoff.delayMs', backoff.delayMs)
  return {
    jobId: o.jobId as string | undefined,
    delayMs,
    priority,
    attempts: positiveInt('attempts', o.attempts, 1, 1000),
    backoff: { type: backoff.type, delayMs: backoffMs },
    timeoutMs: o.timeoutMs === undefined ? 0 : durationMs('timeoutMs', o.timeoutMs),
    maxStalls:
      o.maxStalls === undefined ? 1 : o.maxStalls === 0 ? 0 : positiveInt('maxStalls', o.maxStalls, 1, 1000),
  }
}
