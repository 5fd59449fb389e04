import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import type { Client } from '../../client/client.js'
import { durationMs, identifier, optionNames, positiveInt, strictOptions } from '../../common/validate.js'
import { invalidArgument } from '../../errors.js'
import type { WorkerCoreOptions, WorkerState } from '../../kit/worker-core.js'
import type { StreamKeyspace } from './keyspace.js'
import { resolveCommon, type StreamCommonOptions } from './options.js'

/** What a handler learns about the entry besides its message. */
export interface StreamEntryInfo {
  readonly id: string
  readonly stream: string
  /** Redis's delivery count: 1 on the first delivery; higher when retried or recovered. */
  readonly deliveries: number
  /** 1 + the handler's failures on this entry so far (a stall is not an attempt). */
  readonly attempt: number
  /** Times a consumer died, was killed or blocked holding this entry before. */
  readonly stalls: number
  /**
   * Fires when `close()` stops waiting (its timeout passed), or when this consumer can no longer
   * count on the entry: by its own clock, the entry's idle time may reach claimIdleMs before a
   * renewal gets through (it is cut off from Redis), or a renewal found that another consumer
   * claimed it. Then the entry may run elsewhere; a failure of this run is not counted against
   * it (recovery decides: a stall), a success still acknowledges it.
   */
  readonly signal: AbortSignal
}

/**
 * Handles one stream entry; resolving acknowledges it, throwing retries it (dead-lettered after
 * `maxDeliveries`).
 */
export type StreamHandler<T> = (message: T, entry: StreamEntryInfo) => Promise<void> | void

export interface StreamWorkerOptions<T> extends StreamCommonOptions<T>, WorkerCoreOptions<StreamEntryInfo> {
  /** The consumer group: each entry goes to one consumer of the group. */
  readonly group: string
  /** Unique per live consumer; default `<host>-<pid>-<random>`. */
  readonly consumer?: string
  /** XREADGROUP BLOCK, default 2000 ms: also the longest `close()` waits for the read to return. */
  readonly blockMs?: number
  /**
   * An entry pending this long on a consumer that stopped renewing it (it died) is claimed by
   * another; default 30 s. Live consumers renew their in-flight entries every third of this.
   */
  readonly claimIdleMs?: number
  /** After a handler fails, the entry is retried after about this long; default 1 s (≤ claimIdleMs). */
  readonly retryDelayMs?: number
  /**
   * The handler fails at most this many times per entry; then the entry is dead-lettered.
   * Default 5. A consumer that dies holding an entry is a stall, not a failure (maxStalls).
   */
  readonly maxDeliveries?: number
  /**
   * Stalls tolerated per entry, default 1 (as the job queue and BullMQ's maxStalledCount): an
   * entry whose consumer died, was killed or blocked past claimIdleMs is handled again; one
   * more stall than this and it is dead-lettered.
   */
  readonly maxStalls?: number
  /** Dead-letter stream bound (MAXLEN ~), default 100 000. */
  readonly deadLetterMaxLen?: number
  /** Consumers idle this long with nothing pending are removed from the group; default 1 h. */
  readonly consumerIdleMs?: number
  /** Where a new group starts: `'0'` (default: the whole stream, nothing added before is skipped) or `'$'`. */
  readonly startId?: string
  /** The connection for blocking reads; default: a second connection opened by `start()`. */
  readonly reader?: Client
}

/** What a stream worker has done since it started. */
export interface StreamWorkerStats {
  readonly processed: number
  readonly failed: number
  readonly deadLettered: number
  readonly reclaimed: number
  readonly inFlight: number
}

/**
 * A consumer-group worker on one stream: at-least-once handling, recovery of dead consumers' entries, dead
 * letters, graceful close.
 */
export interface StreamWorker {
  readonly key: string
  readonly deadKey: string
  readonly group: string
  readonly consumer: string
  readonly keyspace: StreamKeyspace
  readonly state: WorkerState
  /**
   * Creates the group if needed (XGROUP CREATE .. MKSTREAM), opens the reader and starts
   * consuming. Called on construction unless `autorun: false`; idempotent.
   */
  start(): Promise<void>
  /**
   * Graceful shutdown: stops reading, lets in-flight handlers finish (up to `timeoutMs`, default
   * `closeTimeoutMs`, else unlimited; entries still running then stay pending and are recovered
   * by other consumers).
   */
  close(options?: { readonly timeoutMs?: number }): Promise<void>
  /** Handler failures and background errors, as `onError` gets them. */
  on(event: 'error', listener: (error: unknown, entry?: StreamEntryInfo) => void): this
  /** One recovery pass now (it also runs on a timer): claims stale entries, dead-letters exhausted ones. */
  reclaim(): Promise<number>
  /** Removes idle consumers with nothing pending (it also runs on a timer); resolves to their names. */
  pruneConsumers(): Promise<string[]>
  /** Counters since start: entries processed, failed, dead-lettered, reclaimed, and in flight now. */
  stats(): StreamWorkerStats
}

const STREAM_WORKER_OPTIONS = optionNames<StreamWorkerOptions<unknown>>({
  namespace: true,
  codec: true,
  group: true,
  consumer: true,
  concurrency: true,
  blockMs: true,
  claimIdleMs: true,
  retryDelayMs: true,
  maxDeliveries: true,
  maxStalls: true,
  deadLetterMaxLen: true,
  consumerIdleMs: true,
  startId: true,
  reader: true,
  onError: true,
  autorun: true,
  closeTimeoutMs: true,
})

export interface StreamSettings<T> extends ReturnType<typeof resolveCommon<T>> {
  readonly group: string
  readonly consumer: string
  readonly handler: StreamHandler<T>
  readonly blockMs: number
  readonly claimIdleMs: number
  readonly retryDelayMs: number
  readonly maxDeliveries: number
  readonly maxStalls: number
  readonly deadMaxLen: number
  readonly consumerIdleMs: number
  readonly startId: string
  readonly reader: Client | undefined
}

/** The worker's options checked (unknown keys refused) and resolved; the core's options apart. */
export function resolveStreamWorker<T>(
  handler: StreamHandler<T>,
  options: unknown,
): { settings: StreamSettings<T>; core: WorkerCoreOptions<StreamEntryInfo> } {
  if (typeof handler !== 'function') throw invalidArgument('createStreamWorker: handler must be a function')
  const o = strictOptions(
    'createStreamWorker options',
    options,
    STREAM_WORKER_OPTIONS,
  ) as unknown as StreamWorkerOptions<T>
  const claimIdleMs = durationMs('claimIdleMs', o.claimIdleMs, 30_000)
  const settings: StreamSettings<T> = {
    ...resolveCommon(o),
    group: identifier('group', o.group),
    consumer: identifier(
      'consumer',
      o.consumer ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
    ),
    handler,
    blockMs: durationMs('blockMs', o.blockMs, 2000),
    claimIdleMs,
    retryDelayMs: Math.min(durationMs('retryDelayMs', o.retryDelayMs, 1000), claimIdleMs),
    maxDeliveries: positiveInt('maxDeliveries', o.maxDeliveries, 5, 1_000_000),
    maxStalls: o.maxStalls === 0 ? 0 : positiveInt('maxStalls', o.maxStalls, 1, 1_000_000),
    deadMaxLen: positiveInt('deadLetterMaxLen', o.deadLetterMaxLen, 100_000),
    consumerIdleMs: durationMs('consumerIdleMs', o.consumerIdleMs, 3_600_000),
    startId: startIdOf(o.startId),
    reader: o.reader,
  }
  return { settings, core: o }
}

function startIdOf(value: unknown): string {
  if (value === undefined) return '0'
  if (typeof value === 'string' && /^(\$|\d+(-\d+)?)$/.test(value)) return value
  throw invalidArgument("startId must be '0', '$' or a stream id", { startId: value })
}
