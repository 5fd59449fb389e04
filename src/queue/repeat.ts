import { createHash } from 'node:crypto'
import { CronExpressionParser } from 'cron-parser'
import type { Client } from '../client/client.js'
import { type Duration, durationMs, strictOptions } from '../common/validate.js'
import { invalidArgument } from '../errors.js'
import type { Taken } from './attempt.js'
import type { QueueKeys } from './keyspace.js'
import { packOptions, type ResolvedJobOptions } from './options.js'
import { REPEAT, UNREPEAT } from './scripts.js'

/**
 * When a repeatable job runs: every `every` (slots aligned on multiples of it since the epoch,
 * so every producer computes the same ones), or at the times of a cron expression (5 fields, or
 * 6 with seconds first; cron-parser's syntax) in the time zone `tz` (default UTC). `key` names
 * the schedule (default: derived from the name and the schedule); one key, one schedule.
 */
export type RepeatSchedule =
  | { readonly every: Duration; readonly key?: string }
  | { readonly cron: string; readonly tz?: string; readonly key?: string }

/** A repeatable job's schedule: every N ms or a cron expression, and its next run. */
export interface RepeatInfo {
  readonly key: string
  readonly name: string
  readonly every: number | null
  readonly cron: string | null
  readonly tz: string | null
  /** The scheduled time (server ms) of the pending occurrence, or null. */
  readonly next: number | null
}

/** What is stored under `spec:<key>` and carried by each occurrence (compared as text). */
export interface Spec {
  readonly name: string
  readonly every?: number
  readonly cron?: string
  readonly tz?: string
  readonly data: string
  readonly options: Omit<ResolvedJobOptions, 'jobId' | 'delayMs'>
}

const KEY = /^[\x21-\x7e]{1,200}$/

export function resolveSchedule(value: unknown): {
  every?: number
  cron?: string
  tz?: string
  key?: string
} {
  const o = strictOptions('repeat schedule', value, ['every', 'cron', 'tz', 'key'])
  if ((o.every === undefined) === (o.cron === undefined))
    throw invalidArgument("a repeat schedule needs one of every: '5m' or cron: '0 * * * *'", { schedule: o })
  if (o.key !== undefined && (typeof o.key !== 'string' || !KEY.test(o.key)))
    throw invalidArgument('repeat key must be 1–200 printable ASCII characters without spaces', {
      key: o.key,
    })
  const key = o.key as string | undefined
  if (o.every !== undefined) {
    if (o.tz !== undefined) throw invalidArgument('tz goes with cron, not every')
    return { every: durationMs('every', o.every), ...(key ? { key } : {}) }
  }
  if (typeof o.cron !== 'string' || o.cron.length > 200)
    throw invalidArgument('cron must be a cron expression')
  if (o.tz !== undefined && (typeof o.tz !== 'string' || o.tz === ''))
    throw invalidArgument('tz must be an IANA time zone name, e.g. Europe/Paris')
  const spec = { cron: o.cron, ...(o.tz ? { tz: o.tz as string } : {}) }
  try {
    // Parsed and stepped once: a bad field or an unknown time zone fails here, not in a worker.
    nextSlot(spec, Date.now(), key ?? 'check')
  } catch (error) {
    throw invalidArgument(`cron '${o.cron}'${o.tz ? ` in ${o.tz}` : ''}: ${(error as Error).message}`)
  }
  return { ...spec, ...(key ? { key } : {}) }
}

/** The key of a schedule when none is given: the name and the schedule. */
export function defaultKey(name: string, s: { every?: number; cron?: string; tz?: string }): string {
  const what = s.every !== undefined ? `every:${s.every}` : `cron:${s.cron}:${s.tz ?? 'UTC'}`
  return `${name}:${what}`.replace(/\s+/g, '_')
}

/** The first slot strictly after `afterMs`. `seed` makes cron's `H` fields the same everywhere. */
export function nextSlot(
  spec: { every?: number; cron?: string; tz?: string },
  afterMs: number,
  seed: string,
): number {
  if (spec.every !== undefined) return (Math.floor(afterMs / spec.every) + 1) * spec.every
  const next = CronExpressionParser.parse(spec.cron as string, {
    currentDate: new Date(afterMs),
    tz: spec.tz ?? 'UTC',
    hashSeed: seed,
  })
    .next()
    .getTime()
  if (!Number.isFinite(next)) throw new Error('no next time')
  return next
}

/** One job id per (schedule, slot): every producer and worker names the same job. */
export function occurrenceId(key: string, slot: number): string {
  return `rpt-${createHash('sha1').update(key).digest('base64url').slice(0, 16)}-${slot}`
}

/** The server's clock, ms (slots are computed from it, never from this process's clock). */
export async function serverNow(db: Client): Promise<number> {
  const [s, us] = (await db.call(['TIME'])) as [string, string]
  return Number(s) * 1000 + Math.floor(Number(us) / 1000)
}

/** The repeat script: 1 added, 0 already there, -1 schedule gone or replaced ('next'). */
export async function scheduleOccurrence(
  db: Client,
  keys: QueueKeys,
  key: string,
  spec: string,
  slot: number,
  from: { readonly mode: 'next'; readonly id: string } | { readonly mode: 'set'; readonly spec: Spec },
): Promise<number> {
  const s = from.mode === 'set' ? from.spec : null
  const o = s?.options
  const reply = await REPEAT.run(
    db,
    { repeats: keys.repeats, delayed: keys.delayed, signal: keys.signal, wait: keys.wait },
    {
      jobPrefix: keys.jobPrefix,
      key,
      spec,
      mode: from.mode,
      id: occurrenceId(key, slot),
      slot,
      fromId: from.mode === 'next' ? from.id : '',
      name: s?.name ?? '',
      data: s?.data ?? '',
      opts: o ? packOptions(o) : '',
    },
  )
  return Number(reply)
}

export async function unschedule(db: Client, keys: QueueKeys, key: string): Promise<boolean> {
  const reply = await UNREPEAT.run(
    db,
    { repeats: keys.repeats, delayed: keys.delayed, wait: keys.wait },
    { jobPrefix: keys.jobPrefix, key },
  )
  return Number(reply) === 1
}

/** Every schedule of the queue: HSCAN of the schedules hash (one round trip per 100 fields). */
export async function listSchedules(db: Client, keys: QueueKeys): Promise<RepeatInfo[]> {
  const specs = new Map<string, Spec>()
  const pending = new Map<string, string>()
  let cursor = '0'
  do {
    const [next, fields] = (await db.call(['HSCAN', keys.repeats, cursor, 'COUNT', 100])) as [
      string,
      string[],
    ]
    cursor = next
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const field = fields[i]!
      if (field.startsWith('spec:')) specs.set(field.slice(5), JSON.parse(fields[i + 1]!) as Spec)
      else if (field.startsWith('next:')) pending.set(field.slice(5), fields[i + 1]!)
    }
  } while (cursor !== '0')
  return [...specs]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, spec]) => {
      const id = pending.get(key)
      const slot = id ? Number(id.slice(id.lastIndexOf('-') + 1)) : Number.NaN
      return {
        key,
        name: spec.name,
        every: spec.every ?? null,
        cron: spec.cron ?? null,
        tz: spec.cron ? (spec.tz ?? 'UTC') : null,
        next: Number.isFinite(slot) ? slot : null,
      }
    })
}

/**
 * An occurrence was taken: schedules the next slot (after this one, and after `now` — missed
 * slots are skipped), as BullMQ does, from whichever worker took it. Idempotent per slot;
 * retried, since a chain that misses its next link stops until the next queue.repeat() call.
 */
export async function scheduleNext(
  db: Client,
  keys: QueueKeys,
  taken: Taken,
  now: number,
  onError: (error: unknown) => void,
): Promise<void> {
  for (let n = 0; ; n++) {
    try {
      const spec = JSON.parse(taken.spec) as Spec
      const slot = nextSlot(spec, Math.max(taken.slot, now), taken.repeatKey)
      await scheduleOccurrence(db, keys, taken.repeatKey, taken.spec, slot, { mode: 'next', id: taken.id })
      return
    } catch (error) {
      onError(error)
      if (n >= 5) return
      await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** n))
    }
  }
}
