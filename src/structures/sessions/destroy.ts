import type { Command } from '../../common/types.js'
import { int, together } from '../common/round-trip.js'
import type { SessionContext } from './context.js'
import type { SessionKeys } from './layout.js'
import { DESTROY } from './scripts.js'

/**
 * Destroys a session and leaves its tombstone (destroy.lua: for the session's remaining TTL, at
 * least the `tombstone` option), so a request that loaded the session before a logout cannot save
 * it back. Used by destroy itself and by everything that ends a session: a save or touch whose
 * cookie has expired, destroyUserSessions, clear. Resolves whether there was a session to destroy.
 */
export async function destroySession(ctx: SessionContext, keys: SessionKeys): Promise<boolean> {
  const target = { data: keys.data, gone: keys.gone }
  const args = { graceMs: ctx.options.graceMs }
  const commands: Command[] = [DESTROY.command(target, args)]
  // Migrating: connect-redis's copy goes in the same round trip, or it would be read again.
  if (keys.legacy !== null) commands.push(['UNLINK', keys.legacy])
  const [destroyed, unlinked] = await together(ctx.db, commands)
  return int(destroyed) === 1 || int(unlinked ?? 0) === 1
}
