import type { Command } from '../../common/types.js'
import { identifier } from '../../common/validate.js'
import { int, together } from '../common/round-trip.js'
import type { SessionContext } from './context.js'
import { destroySession } from './destroy.js'
import { INDEX } from './scripts.js'
import type { SessionData } from './types.js'

/*
 * The per-user index behind "log out everywhere": a zset of the user's session ids scored by
 * expiry, kept in the user's slot (not the session's), written by index.lua beside every save and
 * touch of a session that names its user, pruned of expired ids on each write and capped at
 * maxSessionsPerUser. It may list a session that is already gone, so readers check.
 */

/** The user a session belongs to (the `userId` option), or undefined when it names none. */
export function userOf(ctx: SessionContext, session: SessionData): string | undefined {
  const id = ctx.options.userId(session)
  return id === undefined || id === '' ? undefined : identifier('userId', id)
}

/** The index write that goes with a save or touch of a user's session (index.lua). */
export function indexCommand(ctx: SessionContext, user: string, sid: string, ttlMs: number): Command {
  return INDEX.command({ user: ctx.layout.userKey(user) }, { sid, ttlMs, max: ctx.options.maxPerUser })
}

/**
 * Every live session of a user (bounded by maxSessionsPerUser). One round trip for the index,
 * one for the sessions' existence.
 */
export async function userSessions(ctx: SessionContext, userId: string | number): Promise<string[]> {
  const user = ctx.layout.userKey(identifier('userId', userId))
  const sids = (await ctx.db.call(['ZRANGE', user, 0, ctx.options.maxPerUser - 1])) as string[]
  if (sids.length === 0) return []
  const exists = await together(
    ctx.db,
    sids.map((sid) => ['EXISTS', ctx.layout.keys(sid).data]),
  )
  return sids.filter((_, i) => int(exists[i]) === 1)
}

/** Logs a user out everywhere: destroys (and tombstones) every session in the user's index. */
export async function destroyUserSessions(ctx: SessionContext, userId: string | number): Promise<number> {
  const user = ctx.layout.userKey(identifier('userId', userId))
  const sids = (await ctx.db.call(['ZRANGE', user, 0, ctx.options.maxPerUser - 1])) as string[]
  if (sids.length === 0) return 0
  const destroyed = await Promise.all(sids.map((sid) => destroySession(ctx, ctx.layout.keys(sid))))
  await ctx.db.call(['ZREM', user, ...sids])
  return destroyed.filter(Boolean).length
}
