import { int } from '../common/round-trip.js'
import type { SessionContext } from './context.js'
import type { SessionKeys } from './layout.js'
import { DESTROY } from './scripts.js'
import { plainStep, runSteps, type Step } from './steps.js'

/**
 * Destroys a session and leaves its tombstone (destroy.lua: for the session's remaining TTL, at
 * least the `tombstone` option), so a request that loaded the session before a logout cannot save
 * it back. Used by destroy itself and by everything that ends a session: a save or touch whose
 * cookie has expired, destroyUserSessions, clear. Resolves whether there was a session to destroy.
 */
export async function destroySession(ctx: SessionContext, keys: SessionKeys): Promise<boolean> {
  const target = { data: keys.data, gone: keys.gone }
  const args = { graceMs: ctx.options.graceMs }
  const steps: Step[] = [
    { command: DESTROY.command(target, args), alone: () => DESTROY.run(ctx.db, target, args) },
  ]
  // Migrating: connect-redis's copy goes in the same round trip, or it would be read again.
  if (keys.legacy !== null) steps.push(plainStep(ctx.db, ['UNLINK', keys.legacy]))
  const [destroyed, unlinked] = await runSteps(ctx.db, steps)
  return int(destroyed) === 1 || int(unlinked ?? 0) === 1
}
