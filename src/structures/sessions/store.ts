import { EventEmitter } from 'node:events'
import type { Client } from '../../client/client.js'
import { invalidArgument } from '../../errors.js'
import type { Keyspace } from '../../keyspace/define.js'
import { declareOn } from '../../kit/keyspace.js'
import { settle } from './callback.js'
import type { SessionContext } from './context.js'
import { destroySession } from './destroy.js'
import { type ExpressStoreClass, expressStore } from './express.js'
import { type SessionKeys, SessionLayout } from './layout.js'
import { clearSessions, countSessions, listAll, listIds, scanSessions } from './listing.js'
import { type MigrationReport, migrateSessions } from './migrate.js'
import { resolveSessionOptions, type SessionStoreOptions } from './options.js'
import { pageSessions, type SessionPage } from './page.js'
import { saveSession } from './save.js'
import { decodeSession } from './serialization.js'
import { touchSession } from './touch.js'
import type { Callback, SessionData } from './types.js'
import { destroyUserSessions, userSessions } from './user-index.js'

export type { MigrationReport } from './migrate.js'
export type { ConnectRedisSource, SessionSerializer, SessionStoreOptions, SessionTtl } from './options.js'
export type { SessionPage } from './page.js'

/*
 * The store's public face. Each operation lives in a file of its own concern — save.ts, touch.ts,
 * destroy.ts, user-index.ts ("log out everywhere"), listing.ts (SCAN-based all/ids/length/clear),
 * page.ts, migrate.ts, express.ts — working on one SessionContext; this class resolves the
 * options, declares the keyspaces, and gives each operation the two calling styles frameworks use
 * (a Node callback, or a promise).
 */

/**
 * A session store for express-session (`store.forExpress(session)`) and @fastify/session (the store
 * itself), and for direct use with promises. Takes connect-redis's options with their meaning
 * (docs/sessions-migration.md).
 *
 * Keys: the session (TTL from the cookie), its tombstone after a destroy, and a per-user index. A
 * save of a session that exists is one `SET XX`; of a new one, a script that refuses it when
 * tombstoned (SESSION_DESTROYED); a get is one GET; a touch only moves the TTL (PEXPIRE), so it
 * never overwrites what a concurrent request saved.
 */
export class RedisSessionStore extends EventEmitter {
  /** The keyspace the sessions live in; `keyspaces` has every keyspace the store declares. */
  readonly keyspace: Keyspace
  readonly keyspaces: readonly Keyspace[]
  readonly #ctx: SessionContext

  constructor(db: Client, options?: SessionStoreOptions) {
    super()
    const resolved = resolveSessionOptions(options)
    const layout = new SessionLayout(resolved.layout, resolved.ttlMs, resolved.graceMs, resolved.maxPerUser)
    this.keyspaces = layout.keyspaces
    this.keyspace = this.keyspaces[0]!
    for (const keyspace of this.keyspaces) declareOn(db, keyspace)
    this.#ctx = { db, options: resolved, layout }
  }

  /** The keys of a session: where it is stored and its tombstone (and, migrating, connect-redis's key). */
  keysOf(sid: string): SessionKeys {
    return this.#ctx.layout.keys(sid)
  }

  /** The session, or null when absent or expired. */
  get(sid: string): Promise<SessionData | null>
  get(sid: string, callback: Callback<SessionData | null>): undefined
  get(sid: string, callback?: Callback<SessionData | null>) {
    return settle(async () => {
      const { db, layout, options } = this.#ctx
      const data = layout.dataKey(sid)
      const value = await db.call(['GET', data])
      if (value !== null) return decodeSession(options.serializer, data, String(value))
      // Migrating: a session not saved since the switch is still in connect-redis's key.
      const legacy = layout.keys(sid).legacy
      if (legacy === null) return null
      const old = await db.call(['GET', legacy])
      return old === null ? null : decodeSession(options.serializer, legacy, String(old))
    }, callback)
  }

  /**
   * Saves. Resolves true; false when the cookie has already expired (the session is destroyed
   * instead, as connect-redis does). Rejects with SESSION_DESTROYED when the session was destroyed
   * meanwhile (a logout racing this request): the save is refused, so the session stays gone.
   */
  set(sid: string, session: object): Promise<boolean>
  set(sid: string, session: object, callback: Callback<boolean>): undefined
  set(sid: string, session: object, callback?: Callback<boolean>) {
    return settle(() => saveSession(this.#ctx, sid, session), callback)
  }

  /**
   * Extends the TTL only: never writes the session's data, so it cannot undo a concurrent save.
   * An expiry already past removes the session (as connect-redis's EXPIRE does). Resolves whether a
   * session was there to extend; with `disableTouch`, does nothing and resolves false.
   */
  touch(sid: string, session: object): Promise<boolean>
  touch(sid: string, session: object, callback: Callback<boolean>): undefined
  touch(sid: string, session: object, callback?: Callback<boolean>) {
    return settle(() => touchSession(this.#ctx, sid, session), callback)
  }

  /**
   * Removes the session and tombstones its id, so that a request still holding it cannot save it back
   * (SESSION_DESTROYED).
   */
  destroy(sid: string): Promise<void>
  destroy(sid: string, callback: Callback<void>): undefined
  destroy(sid: string, callback?: Callback<void>) {
    return settle(async () => {
      await destroySession(this.#ctx, this.#ctx.layout.keys(sid))
    }, callback)
  }

  /**
   * Every live session of a user (bounded by maxSessionsPerUser). One round trip for the index,
   * one for the sessions' existence.
   */
  userSessions(userId: string | number): Promise<string[]> {
    return userSessions(this.#ctx, userId)
  }

  /** Logs a user out everywhere: destroys (and tombstones) every session in the user's index. */
  destroyUserSessions(userId: string | number): Promise<number> {
    return destroyUserSessions(this.#ctx, userId)
  }

  /** Sessions one by one through SCAN: never KEYS, never one huge reply. */
  scan(options: { count?: number } = {}): AsyncGenerator<{ sid: string; session: SessionData }> {
    return scanSessions(this.#ctx, options)
  }

  /**
   * A page of sessions for admin screens that list more than `maxListed`: about `limit` sessions
   * (default 100, at most maxListed; one SCAN call may bring a few more), and `next` to pass back
   * for the following page. Stateless: the cursor is the SCAN position (per master on a Cluster).
   * As SCAN promises, a session present from the first page to the last is listed; one created or
   * destroyed meanwhile may or may not be, and one may appear twice.
   */
  page(options: { cursor?: string; limit?: number } = {}): Promise<SessionPage> {
    return pageSessions(this.#ctx, options)
  }

  /** Every session id, by SCAN; refused past `maxListed` (use `page`). */
  ids(): Promise<string[]>
  ids(callback: Callback<string[]>): undefined
  ids(callback?: Callback<string[]>) {
    return settle(() => listIds(this.#ctx), callback)
  }

  /** Every session with its `id`, up to maxListed (GUARD_UNBOUNDED beyond: use `page()`). */
  all(): Promise<SessionData[]>
  all(callback: Callback<SessionData[]>): undefined
  all(callback?: Callback<SessionData[]>) {
    return settle(() => listAll(this.#ctx), callback)
  }

  /** Counts sessions with SCAN (cursor by cursor: O(N) work, no blocking). */
  length(): Promise<number>
  length(callback: Callback<number>): undefined
  length(callback?: Callback<number>) {
    return settle(() => countSessions(this.#ctx), callback)
  }

  /** Destroys every session (each tombstoned, so none comes back through a late save). */
  clear(): Promise<void>
  clear(callback: Callback<void>): undefined
  clear(callback?: Callback<void>) {
    return settle(() => clearSessions(this.#ctx), callback)
  }

  /**
   * With `migrateFrom`: moves every session connect-redis wrote into the tagged layout (keeping its
   * remaining TTL and indexing its user), then removes connect-redis's key. Sessions already saved
   * in the tagged layout, or destroyed, are skipped (and their old key removed). Safe while the
   * application runs; afterwards `migrateFrom` can go.
   */
  migrate(): Promise<MigrationReport> {
    return migrateSessions(this.#ctx)
  }

  /** express-session wants a subclass of its own `Store`: `session({ store: store.forExpress(session) })`. */
  forExpress<S extends ExpressStoreClass>(session: { readonly Store: S }): InstanceType<S> {
    if (typeof session?.Store !== 'function')
      throw invalidArgument('forExpress takes the express-session module')
    return expressStore(this, session.Store) as InstanceType<S>
  }
}

/** A session store for express-session and @fastify/session (see RedisSessionStore). */
export function createSessionStore(db: Client, options?: SessionStoreOptions): RedisSessionStore {
  return new RedisSessionStore(db, options)
}
