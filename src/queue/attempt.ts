import { json } from '../codec/index.js'
import { LazySignal } from '../kit/lazy-signal.js'

/** The job a handler runs: its data, attempt counts, stalls, an abort signal and progress reporting. */
export interface Job<T> {
  readonly id: string
  readonly name: string
  readonly data: T
  /** 1 on the first attempt (a stall does not use an attempt: the run after one has the same number). */
  readonly attempt: number
  readonly attempts: number
  /** Times this job's lease expired before (its worker crashed or stalled). */
  readonly stalls: number
  /** For an occurrence of a repeatable job: its schedule's key and scheduled time (server ms). */
  readonly repeat: { readonly key: string; readonly slot: number } | null
  /**
   * Fires when the job's timeout passes, when the worker is closed with a deadline that passes,
   * or when the worker can no longer count on the job's lease: by its own clock, the lease may
   * run out before a renewal gets through (the worker is cut off from Redis), or a renewal found
   * the job recovered as a stall. Then another worker may run it, and a failure of this attempt
   * is not recorded (see docs/messaging.md).
   */
  readonly signal: AbortSignal
  /**
   * Records progress (any JSON value, e.g. a percentage) on the job and appends a 'progress'
   * event: one round trip. Resolves false when this worker no longer holds the job's lease.
   */
  updateProgress(progress: unknown): Promise<boolean>
}

/** Runs one job; its resolved value is stored as the result, a throw is a failed attempt. */
export type JobHandler<T, R> = (job: Job<T>) => Promise<R> | R

/** A job as a take call handed it over. */
export interface Taken {
  readonly id: string
  readonly name: string
  readonly data: string
  readonly attempt: number
  readonly attempts: number
  readonly timeoutMs: number
  readonly stalls: number
  /** A repeatable job's occurrence: its schedule's key, the schedule (JSON) and slot; else ''. */
  readonly repeatKey: string
  readonly spec: string
  readonly slot: number
  /** The lease token of the call that took it. */
  readonly token: string
}

/** An attempt that ended, waiting for the next take call to record its outcome. */
export interface Finished {
  readonly taken: Taken
  readonly outcome: 'completed' | 'failed'
  /** The encoded result, or the error message. */
  readonly value: string
  /** Random in [0, 1): the jitter of the backoff the take script computes. */
  readonly jitter: number
}

/**
 * How to abort each attempt running now (its signal), by the job it runs. A Map, not a WeakMap:
 * every entry is deleted when its attempt ends, and a Map's set costs less on a job's path.
 */
const running = new Map<Taken, LazySignal>()

/** Fires the signal of the attempt running `taken`, if it still runs. */
export function abortAttempt(taken: Taken, reason: Error): void {
  running.get(taken)?.abort(reason)
}

/** By the worker's clock, the job's lease may run out before a renewal gets through. */
export function leaseRanOut(taken: Taken, leaseMs: number): Error {
  return new Error(
    `the lease of job ${taken.id} ran out (${leaseMs} ms after the take or the last renewal that got through) while this worker could not renew it: another worker may recover the job as a stall and run it; a failure of this attempt is not counted`,
  )
}

/** A renewal found the job's lease no longer this worker's: the job was recovered as a stall. */
export function takenOver(taken: Taken): Error {
  return new Error(
    `the lease of job ${taken.id} ran out while this worker could not renew it, and the job was recovered as a stall: it may be running elsewhere now, and this attempt's outcome will not be recorded`,
  )
}

/**
 * A job as its handler sees it. A class, not an object literal with a getter: a literal's getter
 * is a new closure per job, which gives every job a map (hidden class) of its own.
 */
class RunningJob<T> implements Job<T> {
  readonly id: string
  readonly name: string
  readonly data: T
  readonly attempt: number
  readonly attempts: number
  readonly stalls: number
  readonly repeat: { readonly key: string; readonly slot: number } | null
  readonly updateProgress: (progress: unknown) => Promise<boolean>
  readonly #signal: LazySignal

  constructor(
    taken: Taken,
    signal: LazySignal,
    progress: (taken: Taken, value: unknown) => Promise<boolean>,
  ) {
    this.id = taken.id
    this.name = taken.name
    this.data = json.decode(taken.data) as T
    this.attempt = taken.attempt
    this.attempts = taken.attempts
    this.stalls = taken.stalls
    this.repeat = taken.repeatKey === '' ? null : { key: taken.repeatKey, slot: taken.slot }
    // A property, not a method: a handler may pass it on unbound.
    this.updateProgress = (value) => progress(taken, value)
    this.#signal = signal
  }

  get signal(): AbortSignal {
    return this.#signal.signal
  }
}

/**
 * Runs the handler once: the job's data decoded, its timeout raced (the signal fires), a throw
 * or a timeout a 'failed' outcome. Never rejects.
 */
export async function runAttempt<T, R>(
  handler: JobHandler<T, R>,
  taken: Taken,
  progress: (taken: Taken, value: unknown) => Promise<boolean>,
  closing: AbortSignal,
  onFailure: (error: unknown) => void,
): Promise<Finished> {
  const signal = new LazySignal(closing)
  running.set(taken, signal)
  let timer: NodeJS.Timeout | undefined
  try {
    const run = handler(new RunningJob<T>(taken, signal, progress))
    const result =
      taken.timeoutMs > 0
        ? await Promise.race([
            run,
            new Promise<never>((_, reject) => {
              timer = setTimeout(() => {
                const error = new Error(`timed out after ${taken.timeoutMs} ms`)
                signal.abort(error)
                reject(error)
              }, taken.timeoutMs)
            }),
          ])
        : await run
    return {
      taken,
      outcome: 'completed',
      value: json.encode(result === undefined ? null : result) as string,
      jitter: 0,
    }
  } catch (error) {
    onFailure(error)
    return {
      taken,
      outcome: 'failed',
      value: error instanceof Error ? error.message : String(error),
      jitter: Math.random(),
    }
  } finally {
    running.delete(taken)
    if (timer) clearTimeout(timer)
  }
}
