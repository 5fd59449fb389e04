import type { Command } from '../../common/types.js'
import { structureError } from '../common/errors.js'
import { int, together } from '../common/round-trip.js'
import type { SessionContext } from './context.js'
import { destroySession } from './destroy.js'
import { SET } from './scripts.js'
import { encodeSession } from './serialization.js'
import { ttlFor } from './ttl.js'
import { checkSession } from './types.js'
import { indexCommand, userOf } from './user-index.js'

/**
 * Saves a session (the store's `set`). Resolves true; false when the cookie has already expired
 * (the session is destroyed instead, as connect-redis does). Rejects with SESSION_DESTROYED when
 * the session was destroyed meanwhile (a logout racing this request): the save is refused, so the
 * session stays gone.
 */
export async function saveSession(ctx: SessionContext, sid: string, session: object): Promise<boolean> {
  const keys = ctx.layout.keys(sid)
  checkSession(session)
  const ttlMs = ttlFor(ctx.options, session)
  if (ttlMs <= 0) {
    await destroySession(ctx, keys)
    return false
  }
  const value = encodeSession(ctx.options.serializer, session)
  const user = userOf(ctx, session)
  if (user === undefined) {
    // Most saves rewrite a session that exists: a plain SET XX does it in one command. It
    // cannot resurrect a destroyed session (destroy removes the key), so only a save that
    // finds no key — a new session, or a destroyed one — needs the script's tombstone check.
    const updated = await ctx.db.call(['SET', keys.data, value, 'PX', ttlMs, 'XX'])
    if (updated === 'OK') return true
  }
  const commands: Command[] = [SET.command(keys, { value, ttlMs })]
  if (user !== undefined) commands.push(indexCommand(ctx, user, keys.sid, ttlMs))
  // Migrating: the session now lives in the tagged layout; connect-redis's copy goes.
  if (keys.legacy !== null) commands.push(['UNLINK', keys.legacy])
  const [saved] = await together(ctx.db, commands)
  if (int(saved) !== 1)
    throw structureError(
      'SESSION_DESTROYED',
      'SESSION_DESTROYED: this session was destroyed (logout, destroyUserSessions or clear) while the request held it; the save is refused so that it stays destroyed. Start a new session with a new id (express-session: req.session.regenerate)',
    )
  return true
}
