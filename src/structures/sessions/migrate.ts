import { invalidArgument } from '../../errors.js'
import { int, together } from '../common/round-trip.js'
import type { SessionContext } from './context.js'
import { MOVE } from './scripts.js'
import { decodeSession } from './serialization.js'
import { indexCommand, userOf } from './user-index.js'

/** What `migrate()` did: sessions moved to the tagged layout, and those already there or destroyed. */
export interface MigrationReport {
  readonly moved: number
  readonly skipped: number
}

/**
 * With `migrateFrom`: moves every session connect-redis wrote into the tagged layout (keeping its
 * remaining TTL and indexing its user), then removes connect-redis's key. Sessions already saved
 * in the tagged layout, or destroyed, are skipped (and their old key removed). Safe while the
 * application runs; afterwards `migrateFrom` can go.
 */
export async function migrateSessions(ctx: SessionContext): Promise<MigrationReport> {
  const { db, layout } = ctx
  const source = layout.sources.find((s) => s.legacy)
  if (!source)
    throw invalidArgument(
      "migrate() moves sessions connect-redis wrote: create the store with migrateFrom: 'connect-redis'",
    )
  let moved = 0
  let skipped = 0
  const one = async (sid: string, key: string) => {
    const [value, pttl] = await db.batch([
      ['GET', key],
      ['PTTL', key],
    ])
    if (value === null || value === undefined) return
    const ttlMs = int(pttl) > 0 ? int(pttl) : ctx.options.ttlMs
    const keys = layout.keys(sid)
    const text = String(value)
    const target = { data: keys.data, gone: keys.gone }
    // move.lua writes the new key only when neither it nor a tombstone exists: a session saved
    // since the switch, or destroyed, is newer than connect-redis's copy.
    const [done] = await together(db, [MOVE.command(target, { value: text, ttlMs })])
    if (int(done) !== 1) skipped++
    else {
      moved++
      // A session that does not parse is still moved as it is; it just names no user to index.
      const user = await decodeSession(ctx.options.serializer, key, text).then(
        (session) => userOf(ctx, session),
        () => undefined,
      )
      if (user !== undefined) await together(db, [indexCommand(ctx, user, sid, ttlMs)])
    }
    await db.call(['UNLINK', key])
  }
  // Up to 100 sessions in flight at once: fast on a big store, gentle on the server.
  let pending: Promise<void>[] = []
  for await (const key of db.scan({
    match: source.match,
    count: ctx.options.scanCount,
    type: 'string',
  })) {
    const sid = source.sidOf(key)
    if (sid === null) continue
    pending.push(one(sid, key))
    if (pending.length >= 100) {
      await Promise.all(pending)
      pending = []
    }
  }
  await Promise.all(pending)
  return { moved, skipped }
}
