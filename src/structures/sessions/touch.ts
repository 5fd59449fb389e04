import type { Command } from '../../common/types.js'
import { int, together } from '../common/round-trip.js'
import type { SessionContext } from './context.js'
import { destroySession } from './destroy.js'
import { ttlFor } from './ttl.js'
import { checkSession } from './types.js'
import { indexCommand, userOf } from './user-index.js'

/**
 * The store's `touch`: extends the TTL only. It never writes the session's data, so it cannot undo
 * what a concurrent request saved (frameworks touch with the copy they loaded, which may be stale).
 * An expiry already past removes the session (as connect-redis's EXPIRE does). Resolves whether a
 * session was there to extend; with `disableTouch`, does nothing and resolves false.
 */
export async function touchSession(ctx: SessionContext, sid: string, session: object): Promise<boolean> {
  const keys = ctx.layout.keys(sid)
  checkSession(session)
  if (ctx.options.disableTouch) return false
  const ttlMs = ttlFor(ctx.options, session)
  if (ttlMs <= 0) {
    await destroySession(ctx, keys)
    return false
  }
  const user = userOf(ctx, session)
  const expire: Command = ['PEXPIRE', keys.data, ttlMs]
  const [touched] = await together(
    ctx.db,
    user === undefined ? [expire] : [expire, indexCommand(ctx, user, keys.sid, ttlMs)],
  )
  if (int(touched) === 1) return true
  // Migrating: a session not saved since the switch still lives in connect-redis's key.
  if (keys.legacy !== null) return int(await ctx.db.call(['PEXPIRE', keys.legacy, ttlMs])) === 1
  return false
}
