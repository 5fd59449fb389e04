import type { Client } from '../../client/client.js'
import type { Command } from '../../common/types.js'
import {
  type Duration,
  durationMs,
  namespaceName,
  oneOf,
  optionNames,
  strictOptions,
} from '../../common/validate.js'
import { invalidArgument } from '../../errors.js'
import type { Keyspace } from '../../keyspace/define.js'
import { t } from '../../keyspace/types.js'
import { declareOn, keyOf, structureKeyspace } from '../../kit/keyspace.js'
import { dayId, daysOf, PERIODS, type Period, periodBounds, periodId, toDate } from '../common/periods.js'
import { int } from '../common/round-trip.js'

/** HyperLogLog's standard error with Redis's 16384 registers: 1.04 / √16384. */
export const HLL_STANDARD_ERROR = 0.0081

/** A unique counter's options: name, namespace, retention per period. */
export interface UniqueCounterOptions {
  /** The counter's name: letters, digits, - . _ ~ (also its hash tag: all its periods share a slot). */
  readonly name: string
  /** Keyspace namespace, default `uniq`. */
  readonly namespace?: string
  /** How long each period's HyperLogLog is kept after the period ends. */
  readonly retention?: { readonly day?: Duration; readonly week?: Duration; readonly month?: Duration }
  /** The time in ms that decides the current period; default `Date.now` (tests inject one). */
  readonly clock?: () => number
}

type When = Date | number | string

/** One period (`{ period: 'week', at }`) or a range of whole days (`{ from, to }`, inclusive). */
export type CountRange =
  | { readonly period?: Period; readonly at?: When }
  | { readonly from: When; readonly to: When }

/** Approximate distinct counts (HyperLogLog) per day, rolled up into weeks and months. */
export interface UniqueCounter {
  readonly name: string
  readonly keyspace: Keyspace
  /** PFADD to the day's HyperLogLog (with its TTL) in one MULTI; true when the estimate changed. */
  add(items: string | readonly string[], options?: { at?: When }): Promise<boolean>
  /**
   * Distinct items in a day, week, month or range of days: one PFCOUNT over the period's roll-up
   * (if any) and its days — the union is exact to HyperLogLog's error (±0.81% standard error)
   * whether or not the period was rolled up.
   */
  count(range?: CountRange): Promise<number>
  /**
   * Merges a week's or month's days into its own HyperLogLog (PFMERGE, kept longer than the days),
   * so it can still be counted after the days expire. One MULTI.
   */
  rollUp(period: 'week' | 'month', options?: { at?: When }): Promise<void>
}

const DAY_MS = 86_400_000
/** The longest each period can be (a month: 31 days). */
const PERIOD_MS: Readonly<Record<Period, number>> = { day: DAY_MS, week: 7 * DAY_MS, month: 31 * DAY_MS }
const MAX_RANGE_DAYS = 92

/** Every option of UniqueCounterOptions: anything else is refused, naming the closest. */
const UNIQUE_OPTIONS = optionNames<UniqueCounterOptions>({
  name: true,
  namespace: true,
  retention: true,
  clock: true,
})

/** A unique counter on HyperLogLogs: at most 12 KB per period whatever the count, ±0.81 %. */
export function createUniqueCounter(db: Client, options: UniqueCounterOptions): UniqueCounter {
  const o = strictOptions('createUniqueCounter options', options, UNIQUE_OPTIONS)
  if (typeof o.name !== 'string' || !/^[A-Za-z0-9_.~-]{1,100}$/.test(o.name))
    throw invalidArgument('name must be 1–100 letters, digits, - . _ ~', { name: o.name })
  const name = o.name
  const namespace = namespaceName('namespace', o.namespace, 'uniq')
  const r = strictOptions('retention', o.retention, ['day', 'week', 'month'])
  const retention: Record<Period, number> = {
    day: durationMs('retention.day', r.day, 35 * DAY_MS),
    week: durationMs('retention.week', r.week, 120 * DAY_MS),
    month: durationMs('retention.month', r.month, 400 * DAY_MS),
  }
  const clock = (o.clock ?? Date.now) as () => number
  if (typeof clock !== 'function') throw invalidArgument('clock must be a function')

  const entry = (period: Period) =>
    ({
      pattern: `{${name}}:${period}:<id>`,
      type: t.hll(),
      role: 'analytics',
      // Expires `retention` after the end of its period (PEXPIREAT): it lives up to a period longer.
      ttl: retention[period] + PERIOD_MS[period],
      description: `distinct items per ${period} (HyperLogLog, ±0.81%), kept ${retention[period]} ms after the ${period}`,
    }) as const
  const keyspace = structureKeyspace(namespace, {
    day: entry('day'),
    week: entry('week'),
    month: entry('month'),
  }) as unknown as Keyspace
  declareOn(db, keyspace)

  const key = (period: Period, date: Date) => keyOf(keyspace, period, { id: periodId(period, date) })
  const expireAt = (period: Period, date: Date) => periodBounds(period, date).end + retention[period]

  return Object.freeze({
    name,
    keyspace,
    async add(items: string | readonly string[], opts?: { at?: When }) {
      strictOptions('add options', opts, ['at'])
      const list = typeof items === 'string' ? [items] : items
      if (!Array.isArray(list) || list.length === 0 || list.some((i) => typeof i !== 'string'))
        throw invalidArgument('items must be a string or a non-empty array of strings')
      const at = toDate('at', opts?.at, clock)
      const day = key('day', at)
      const [changed] = await db.batch(
        [
          ['PFADD', day, ...list],
          ['PEXPIREAT', day, expireAt('day', at)],
        ],
        { atomic: true },
      )
      return int(changed) === 1
    },
    async count(range?: CountRange) {
      if (range !== undefined && (typeof range !== 'object' || range === null))
        throw invalidArgument('count takes { period, at } or { from, to }')
      strictOptions('count range', range, 'from' in (range ?? {}) ? ['from', 'to'] : ['period', 'at'])
      if (range && 'from' in range) {
        const from = toDate('from', range.from, clock)
        const to = toDate('to', range.to, clock)
        const days =
          Math.floor(Date.parse(dayId(to)) / DAY_MS) - Math.floor(Date.parse(dayId(from)) / DAY_MS) + 1
        if (days < 1 || days > MAX_RANGE_DAYS)
          throw invalidArgument(
            `a range covers 1 to ${MAX_RANGE_DAYS} days (from ≤ to); roll up for longer periods`,
            {
              days,
            },
          )
        const keys = Array.from({ length: days }, (_, i) => key('day', new Date(from.getTime() + i * DAY_MS)))
        return int(await db.call(['PFCOUNT', ...keys]))
      }
      const period = oneOf<Period>('period', range?.period, PERIODS, 'day')
      const at = toDate('at', range?.at, clock)
      const keys =
        period === 'day'
          ? [key('day', at)]
          : [key(period, at), ...daysOf(period, at).map((d) => key('day', d))]
      return int(await db.call(['PFCOUNT', ...keys]))
    },
    async rollUp(period: 'week' | 'month', opts?: { at?: When }) {
      strictOptions('rollUp options', opts, ['at'])
      const which = oneOf<'week' | 'month'>('period', period, ['week', 'month'], 'week')
      const at = toDate('at', opts?.at, clock)
      const target = key(which, at)
      const commands: Command[] = [
        ['PFMERGE', target, ...daysOf(which, at).map((d) => key('day', d))],
        ['PEXPIREAT', target, expireAt(which, at)],
      ]
      await db.batch(commands, { atomic: true })
    },
  })
}
