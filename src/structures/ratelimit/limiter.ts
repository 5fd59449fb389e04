import type { Client } from '../../client/client.js'
import {
  type Duration,
  durationMs,
  identifier,
  namespaceName,
  oneOf,
  optionNames,
  positiveInt,
  strictOptions,
} from '../../common/validate.js'
import { invalidArgument } from '../../errors.js'
import type { Keyspace } from '../../keyspace/define.js'
import { t } from '../../keyspace/types.js'
import { declareOn, structureKeyspace } from '../../kit/keyspace.js'
import { ALGORITHMS, type Algorithm, SCRIPTS } from './scripts.js'

export type { Algorithm } from './scripts.js'

/** A rate limiter's algorithm, limit, window and name. */
export interface RateLimiterOptions {
  /** fixed-window, sliding-window (approximated counter), sliding-log (exact) or token-bucket (GCRA). */
  readonly algorithm: Algorithm
  /** Units allowed per window (for token-bucket: the bucket's capacity, refilled over the window). */
  readonly limit: number
  readonly windowMs: Duration
  /** Keyspace namespace; default `rl:<algorithm>:<limit>:<windowMs>`. Give each policy its own. */
  readonly name?: string
  /**
   * Milliseconds since the epoch, for tests that control time. By default the scripts read the
   * server's TIME, so the clocks of the application servers never matter.
   */
  readonly clock?: () => number
}

/** The outcome of one `consume`. */
export interface Decision {
  readonly allowed: boolean
  readonly limit: number
  /** Units still available right after this decision. */
  readonly remaining: number
  /** Milliseconds until the id is back to its full allowance. */
  readonly resetMs: number
  /** 0 when allowed; otherwise milliseconds until this cost would be allowed. */
  readonly retryAfterMs: number
}

/** Decides whether a request may proceed, by id, in one round trip on the server's clock. */
export interface RateLimiter {
  readonly name: string
  readonly algorithm: Algorithm
  readonly limit: number
  readonly windowMs: number
  readonly keyspace: Keyspace
  /** One script, one round trip: decides and, when allowed, records `cost` units for `id`. */
  consume(id: string | number, cost?: number): Promise<Decision>
  /** Forgets the id's state (e.g. after a successful login). */
  reset(id: string | number): Promise<void>
}

/** Every option of RateLimiterOptions: anything else is refused, naming the closest. */
const LIMITER_OPTIONS = optionNames<RateLimiterOptions>({
  algorithm: true,
  limit: true,
  windowMs: true,
  name: true,
  clock: true,
})

/** A rate limiter (fixed window, sliding window, sliding log or token bucket), one script per decision. */
export function createRateLimiter(db: Client, options: RateLimiterOptions): RateLimiter {
  const o = strictOptions('createRateLimiter options', options, LIMITER_OPTIONS)
  const algorithm = oneOf('algorithm', o.algorithm ?? '', ALGORITHMS, 'fixed-window')
  const limit = positiveInt('limit', o.limit, undefined, 1_000_000_000)
  const windowMs = durationMs('windowMs', o.windowMs)
  if (algorithm === 'sliding-log' && limit > 100_000)
    throw invalidArgument(
      'sliding-log keeps one sorted-set member per unit: a limit above 100000 costs too much memory per id; use sliding-window',
      { limit },
    )
  if (algorithm === 'token-bucket' && windowMs / limit < 0.01)
    throw invalidArgument(
      'token-bucket refills one unit every windowMs/limit ms, which must be at least 0.01 ms (finer steps are lost to floating-point rounding of the server clock)',
      { limit, windowMs },
    )
  const clock = o.clock
  if (clock !== undefined && typeof clock !== 'function') throw invalidArgument('clock must be a function')
  const name = namespaceName('name', o.name, `rl:${algorithm}:${limit}:${windowMs}`)

  const keyspace = structureKeyspace(name, {
    bucket:
      algorithm === 'sliding-log'
        ? {
            pattern: '{<id>}' as const,
            type: t.zset(),
            role: 'counter',
            ttl: windowMs,
            maxItems: limit,
            description: `sliding log of hits: ${limit} per ${windowMs} ms`,
          }
        : {
            pattern: '{<id>}' as const,
            type: t.string(),
            role: 'counter',
            ttl: algorithm === 'sliding-window' ? 2 * windowMs : windowMs,
            description: `${algorithm} state: ${limit} per ${windowMs} ms`,
          },
  })
  declareOn(db, keyspace)
  const script = SCRIPTS[algorithm]
  const bucket = keyspace.bucket

  return Object.freeze({
    name,
    algorithm,
    limit,
    windowMs,
    keyspace,
    async consume(id: string | number, cost = 1): Promise<Decision> {
      const key = bucket.key({ id: identifier('id', id) })
      positiveInt('cost (at most the limit)', cost, undefined, limit)
      const now = clock ? nowArg(clock()) : ''
      const reply = (await script.run(db, { bucket: key }, { limit, windowMs, cost, now })) as number[]
      return {
        allowed: reply[0] === 1,
        limit,
        remaining: reply[1] ?? 0,
        resetMs: reply[2] ?? 0,
        retryAfterMs: reply[3] ?? 0,
      }
    },
    async reset(id: string | number): Promise<void> {
      await db.call(['UNLINK', bucket.key({ id: identifier('id', id) })])
    },
  })
}

function nowArg(now: unknown): number {
  if (typeof now !== 'number' || !Number.isSafeInteger(now) || now < 0)
    throw invalidArgument('clock() must return whole milliseconds since the epoch', { now })
  return now
}
