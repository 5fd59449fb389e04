import { randomBytes } from 'node:crypto'
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
import { declareOn, keyOf, structureKeyspace } from '../../kit/keyspace.js'
import { unboundedError } from '../common/errors.js'
import { dayId, periodBounds, toDate } from '../common/periods.js'
import { int } from '../common/round-trip.js'
import { CHECK, MARK } from './scripts.js'

type When = Date | number | string

/**
 * An activity tracker's options: name, namespace, id mode (a map to dense ids, or integer ids), retention,
 * cohort lifetime.
 */
export interface ActivityOptions {
  /** The tracker's name: letters, digits, - . _ ~ (also its hash tag: days and id map share a slot). */
  readonly name: string
  readonly namespace?: string
  /**
   * 'map' (default): any user id (string or number), mapped to a dense integer on first sight.
   * 'integer': the ids are already dense integers from 0, used as bit offsets directly.
   */
  readonly ids?: 'map' | 'integer'
  /**
   * Bits per day's bitmap: offsets at or above it are refused (GUARD_UNBOUNDED) rather than
   * allocating maxId/8 bytes per day. Default 2^24 (16.7M users, 2 MiB per day).
   */
  readonly maxId?: number
  /** How long a day's bitmap is kept after the day ends, default 90 days. */
  readonly retention?: Duration
  /** Life of a cohort's temporary bitmap (BITOP result), default 60 s. */
  readonly cohortTtl?: Duration
  /** The time in ms that decides the current day; default `Date.now` (tests inject one). */
  readonly clock?: () => number
}

/** Users active on a combination of days, held in a temporary bitmap. */
export interface Cohort {
  /** Users in the cohort (BITCOUNT of the combined bitmap). */
  readonly count: number
  /** Whether a user is in the cohort, while its temporary bitmap lives (cohortTtl). */
  has(userId: string | number): Promise<boolean>
  /** Drops the temporary bitmap now. */
  release(): Promise<void>
}

/** Daily active-user bitmaps: mark a user active, test and count a day, and combine days into cohorts. */
export interface Activity {
  readonly name: string
  readonly keyspace: Keyspace
  /** One round trip (a script in 'map' mode, a MULTI in 'integer' mode). */
  mark(userId: string | number, options?: { at?: When }): Promise<void>
  /** Whether the user was active on the day. */
  isActive(userId: string | number, options?: { at?: When }): Promise<boolean>
  /** Users active on the day (BITCOUNT). */
  count(options?: { at?: When }): Promise<number>
  /** Users active on every one of `days` (BITOP AND), or on any of them ('any', BITOP OR): one MULTI. */
  cohort(days: readonly When[], mode?: 'all' | 'any'): Promise<Cohort>
  /** How many users were active on every one of the days. */
  activeOnAll(days: readonly When[]): Promise<number>
  /** How many users were active on at least one of the days. */
  activeOnAny(days: readonly When[]): Promise<number>
}

const MAX_COHORT_DAYS = 366

/** Every option of ActivityOptions: anything else is refused, naming the closest. */
const ACTIVITY_OPTIONS = optionNames<ActivityOptions>({
  name: true,
  namespace: true,
  ids: true,
  maxId: true,
  retention: true,
  cohortTtl: true,
  clock: true,
})

/** Activity bitmaps per day (one bit per user), with dense user ids so that a bitmap stays small. */
export function createActivity(db: Client, options: ActivityOptions): Activity {
  const o = strictOptions('createActivity options', options, ACTIVITY_OPTIONS)
  if (typeof o.name !== 'string' || !/^[A-Za-z0-9_.~-]{1,100}$/.test(o.name))
    throw invalidArgument('name must be 1–100 letters, digits, - . _ ~', { name: o.name })
  const name = o.name
  const namespace = namespaceName('namespace', o.namespace, 'act')
  const ids = oneOf<'map' | 'integer'>('ids', o.ids, ['map', 'integer'], 'map')
  // 2^32 bits is Redis's own ceiling for a string (512 MiB).
  const maxId = positiveInt('maxId', o.maxId, 2 ** 24, 2 ** 32)
  const retention = durationMs('retention', o.retention, 90 * 86_400_000)
  const cohortTtl = durationMs('cohortTtl', o.cohortTtl, 60_000)
  const clock = (o.clock ?? Date.now) as () => number
  if (typeof clock !== 'function') throw invalidArgument('clock must be a function')

  const keyspace = structureKeyspace(namespace, {
    day: {
      pattern: `{${name}}:day:<day>`,
      type: t.bitmap(),
      role: 'analytics',
      // Expires `retention` after the end of its day (PEXPIREAT), so it lives up to a day longer.
      ttl: retention + 86_400_000,
      description: `users active per day (bit = dense user id, at most ${maxId} bits)`,
    },
    ids: {
      pattern: `{${name}}:ids`,
      type: t.hash<number>(),
      role: 'index',
      ttl: 'persistent',
      description: 'user id → dense integer (bit offset); must outlive every bitmap that uses it',
    },
    next: {
      pattern: `{${name}}:next`,
      type: t.counter(),
      role: 'counter',
      ttl: 'persistent',
      description: 'next dense integer to hand out',
    },
    cohort: {
      pattern: `{${name}}:cohort:<token>`,
      type: t.bitmap(),
      role: 'cache',
      ttl: cohortTtl,
      description: 'temporary BITOP result of a retention query',
    },
  }) as unknown as Keyspace
  declareOn(db, keyspace)

  const idsKey = keyOf(keyspace, 'ids')
  const nextKey = keyOf(keyspace, 'next')
  const dayKey = (at: When | undefined) => keyOf(keyspace, 'day', { day: dayId(toDate('at', at, clock)) })
  const dayEnd = (at: When | undefined) => periodBounds('day', toDate('at', at, clock)).end + retention

  const offsetOf = (userId: unknown): number => {
    if (typeof userId !== 'number' || !Number.isSafeInteger(userId) || userId < 0)
      throw invalidArgument(
        "with ids: 'integer', a user id is an integer ≥ 0 (use ids: 'map' for other ids)",
        {
          userId,
        },
      )
    if (userId >= maxId) throw tooLarge(userId, maxId)
    return userId
  }
  const mapped = (userId: unknown): string => identifier('userId', userId)

  const isIn = async (userId: string | number, bitmap: string) => {
    if (ids === 'integer') return int(await db.call(['GETBIT', bitmap, offsetOf(userId)])) === 1
    return int(await CHECK.run(db, { ids: idsKey, bitmap }, { user: mapped(userId) })) === 1
  }

  /** BITOP into a temporary key with a TTL and BITCOUNT it, in one MULTI; dropped at once unless kept. */
  const combine = async (days: readonly When[], mode: 'all' | 'any', keep: boolean) => {
    if (!Array.isArray(days) || days.length === 0 || days.length > MAX_COHORT_DAYS)
      throw invalidArgument(`days must be a non-empty array of at most ${MAX_COHORT_DAYS} dates`)
    const op = oneOf<'all' | 'any'>('mode', mode, ['all', 'any'], 'all') === 'all' ? 'AND' : 'OR'
    const target = keyOf(keyspace, 'cohort', { token: randomBytes(8).toString('hex') })
    const replies = await db.batch(
      [
        ['BITOP', op, target, ...days.map((d) => dayKey(d))],
        ['PEXPIRE', target, cohortTtl],
        ['BITCOUNT', target],
        ...(keep ? [] : [['UNLINK', target]]),
      ],
      { atomic: true },
    )
    return { target, count: int(replies[2]) }
  }

  const cohort = async (days: readonly When[], mode: 'all' | 'any' = 'all'): Promise<Cohort> => {
    const { target, count } = await combine(days, mode, true)
    return {
      count,
      has: (userId) => isIn(userId, target),
      release: async () => {
        await db.call(['UNLINK', target])
      },
    }
  }

  return Object.freeze({
    name,
    keyspace,
    async mark(userId: string | number, opts?: { at?: When }) {
      strictOptions('mark options', opts, ['at'])
      const day = dayKey(opts?.at)
      const expireAt = dayEnd(opts?.at)
      if (ids === 'integer') {
        await db.batch(
          [
            ['SETBIT', day, offsetOf(userId), 1],
            ['PEXPIREAT', day, expireAt],
          ],
          { atomic: true },
        )
        return
      }
      const n = int(
        await MARK.run(db, { ids: idsKey, next: nextKey, day }, { user: mapped(userId), maxId, expireAt }),
      )
      if (n < 0) throw tooLarge(maxId, maxId)
    },
    isActive: async (userId: string | number, opts?: { at?: When }) => {
      strictOptions('isActive options', opts, ['at'])
      return isIn(userId, dayKey(opts?.at))
    },
    async count(opts?: { at?: When }) {
      strictOptions('count options', opts, ['at'])
      return int(await db.call(['BITCOUNT', dayKey(opts?.at)]))
    },
    cohort,
    activeOnAll: async (days: readonly When[]) => (await combine(days, 'all', false)).count,
    activeOnAny: async (days: readonly When[]) => (await combine(days, 'any', false)).count,
  })
}

function tooLarge(offset: number, maxId: number) {
  return unboundedError(
    `bit offset ${offset} is at or past maxId ${maxId}: one set bit there would make every day's bitmap ${Math.ceil(
      (offset + 1) / 8 / 1024,
    )} KiB`,
    "map sparse or string ids to dense integers (ids: 'map', the default), or raise maxId knowingly (each day costs maxId/8 bytes)",
    { offset, maxId },
  )
}
