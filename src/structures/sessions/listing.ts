import { positiveInt } from '../../common/validate.js'
import { unboundedError } from '../common/errors.js'
import { together } from '../common/round-trip.js'
import type { SessionContext } from './context.js'
import { destroySession } from './destroy.js'
import { decodeSession } from './serialization.js'
import type { SessionData } from './types.js'

/*
 * The store-wide operations express-session's Store interface asks for (`all`, `ids`, `length`,
 * `clear`) and `scan()`. Sessions have no central index, so each walks the keyspace with SCAN
 * (never KEYS), over every source of sessions (the store's layout, and connect-redis's keys while
 * migrating). `all` and `ids` answer in one reply, so they stop at maxListed; `page()` (page.ts)
 * and `scan()` are the ways past it.
 */

/** Session keys through SCAN (never KEYS): every source, each session once per source. */
async function* sessionKeys(ctx: SessionContext): AsyncGenerator<{ sid: string; key: string }> {
  for (const source of ctx.layout.sources)
    for await (const key of ctx.db.scan({
      match: source.match,
      count: ctx.options.scanCount,
      type: 'string',
    })) {
      const sid = source.sidOf(key)
      if (sid !== null) yield { sid, key }
    }
}

/** Sessions one by one through SCAN: never KEYS, never one huge reply. */
export async function* scanSessions(
  ctx: SessionContext,
  options: { count?: number },
): AsyncGenerator<{ sid: string; session: SessionData }> {
  if (options.count !== undefined) checkCount(options.count)
  for (const source of ctx.layout.sources)
    for await (const key of ctx.db.scan({
      match: source.match,
      count: options.count ?? ctx.options.scanCount,
      type: 'string',
    })) {
      const sid = source.sidOf(key)
      if (sid === null) continue
      const value = await ctx.db.call(['GET', key])
      if (value !== null)
        yield { sid, session: await decodeSession(ctx.options.serializer, key, String(value)) }
    }
}

function checkCount(count: unknown): void {
  positiveInt('count', count, undefined, 1000)
}

/**
 * Every session's id and key, each id once even when it is in both sources; GUARD_UNBOUNDED past
 * maxListed, before anything is read, instead of one reply of unknown size.
 */
async function listed(ctx: SessionContext): Promise<{ sid: string; key: string }[]> {
  const { maxListed } = ctx.options
  const found = new Map<string, string>()
  for await (const { sid, key } of sessionKeys(ctx)) {
    if (found.has(sid)) continue
    if (found.size === maxListed)
      throw unboundedError(
        `the store holds more than ${maxListed} sessions, more than all()/ids() may return`,
        'page through them with store.page({ cursor }) (or iterate store.scan()), or raise maxListed deliberately',
        { maxListed },
      )
    found.set(sid, key)
  }
  return [...found].map(([sid, key]) => ({ sid, key }))
}

export async function listIds(ctx: SessionContext): Promise<string[]> {
  return (await listed(ctx)).map(({ sid }) => sid)
}

/** Every session with its `id`, up to maxListed (GUARD_UNBOUNDED beyond: use `page()`). */
export async function listAll(ctx: SessionContext): Promise<SessionData[]> {
  const found = await listed(ctx)
  const values = await together(
    ctx.db,
    found.map(({ key }) => ['GET', key]),
  )
  const sessions: SessionData[] = []
  for (let i = 0; i < found.length; i++) {
    const value = values[i]
    const { sid, key } = found[i]!
    if (value !== null && value !== undefined)
      sessions.push({ ...(await decodeSession(ctx.options.serializer, key, String(value))), id: sid })
  }
  return sessions
}

/** Counts sessions with SCAN (cursor by cursor: O(N) work, no blocking). */
export async function countSessions(ctx: SessionContext): Promise<number> {
  let n = 0
  for await (const _ of sessionKeys(ctx)) n++
  return n
}

/** Destroys every session (each tombstoned, so none comes back through a late save). */
export async function clearSessions(ctx: SessionContext): Promise<void> {
  // Up to 500 destroys in flight: fast on a big store without queueing the whole store at once.
  let pending: Promise<boolean>[] = []
  for await (const { sid } of sessionKeys(ctx)) {
    pending.push(destroySession(ctx, ctx.layout.keys(sid)))
    if (pending.length >= 500) {
      await Promise.all(pending)
      pending = []
    }
  }
  await Promise.all(pending)
}
