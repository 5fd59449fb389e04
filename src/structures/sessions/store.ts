import { EventEmitter } from 'node:events'
import type { RedisExpertClient } from '../../client/client.js'
import type { Command, Reply } from '../../client/types.js'
import { type Codec, json } from '../../codec/index.js'
import { declareOn, structureKeyspace } from '../../common/keyspace.js'
import {
  type Duration,
  durationMs,
  identifier,
  namespaceName,
  plainOptions,
  positiveInt,
} from '../../common/validate.js'
import { invalidArgument, RedisExpertError } from '../../errors.js'
import { encodeParam } from '../../keyspace/escape.js'
import { t } from '../../keyspace/types.js'
import { unboundedError } from '../common/errors.js'
import { int, together } from '../common/round-trip.js'
import { settle } from './callback.js'
import { DESTROY, INDEX, SET } from './scripts.js'
import { sessionTtl } from './ttl.js'
import type { Callback, SessionData } from './types.js'

export interface SessionStoreOptions {
  /** Keyspace namespace, default `sess`. */
  readonly namespace?: string
  /** TTL of a session whose cookie has no expiry, default 1 day. */
  readonly ttl?: Duration
  /** How long a destroyed session stays refused at least (longer than any request), default 10 min. */
  readonly tombstone?: Duration
  /** The user a session belongs to, for `destroyUserSessions`; default `session.userId`. */
  readonly userId?: (session: SessionData) => string | number | undefined
  /** Sessions indexed per user (the oldest-expiring go first), default 100. */
  readonly maxSessionsPerUser?: number
  /** At most this many sessions from `all()` / `ids()`; past it they refuse (use `scan()`), default 1000. */
  readonly maxListed?: number
}

const defaultUserId = (session: SessionData) => {
  const id = session.userId
  return typeof id === 'string' || typeof id === 'number' ? id : undefined
}

/**
 * A session store for express-session (`store.forExpress(session)`) and @fastify/session (the store
 * itself), and for direct use with promises.
 *
 * Keys: the session (JSON, TTL from the cookie), its tombstone after a destroy, and a per-user
 * index. A save is one script (refused when tombstoned); a get one GET; a touch only moves the
 * TTL (PEXPIRE), so it never overwrites what a concurrent request saved.
 */
export class RedisSessionStore extends EventEmitter {
  readonly keyspace
  readonly #db: RedisExpertClient
  readonly #codec: Codec<unknown> = json
  readonly #ttlMs: number
  readonly #graceMs: number
  readonly #userId: (session: SessionData) => string | number | undefined
  readonly #maxPerUser: number
  readonly #maxListed: number
  readonly #prefix: string

  constructor(db: RedisExpertClient, options?: SessionStoreOptions) {
    super()
    const o = plainOptions('createSessionStore options', options)
    const namespace = namespaceName('namespace', o.namespace, 'sess')
    this.#ttlMs = durationMs('ttl', o.ttl, 86_400_000)
    this.#graceMs = durationMs('tombstone', o.tombstone, 600_000)
    if (o.userId !== undefined && typeof o.userId !== 'function')
      throw invalidArgument('userId must be a function of the session')
    this.#userId = (o.userId as SessionStoreOptions['userId']) ?? defaultUserId
    this.#maxPerUser = positiveInt('maxSessionsPerUser', o.maxSessionsPerUser, 100, 1000)
    this.#maxListed = positiveInt('maxListed', o.maxListed, 1000, 100_000)
    this.#db = db
    this.keyspace = structureKeyspace(namespace, {
      data: {
        pattern: '{<sid>}',
        type: t.json<SessionData>(),
        role: 'session',
        ttl: this.#ttlMs,
        sliding: true,
        description: "the session; TTL follows the cookie's expiry (sliding on save and touch)",
      },
      gone: {
        pattern: '{<sid>}:gone',
        type: t.string(),
        role: 'session',
        ttl: this.#graceMs,
        description: 'tombstone of a destroyed session: saves racing the destroy are refused',
      },
      user: {
        pattern: 'user:{<uid>}',
        type: t.zset(),
        role: 'index',
        ttl: this.#ttlMs,
        maxItems: this.#maxPerUser,
        description: "a user's sessions: session id → expiry (ms), for destroyUserSessions",
      },
    })
    declareOn(db, this.keyspace)
    this.#prefix = `${namespace}:{`
  }

  /**
   * The session's keys, escaped once: `<ns>:{<sid>}` and `<ns>:{<sid>}:gone`. Built by hand on this
   * hot path (two builds per save cost more than the save's own encoding); the keyspace's builders
   * produce the same keys, which the tests check.
   */
  #keys(sid: unknown) {
    const id = identifier('sid', sid)
    const data = `${this.#prefix}${encodeParam(id)}}`
    return { data, gone: `${data}:gone`, sid: id }
  }

  #decode(key: string, value: string): SessionData {
    try {
      return this.#codec.decode(value) as SessionData
    } catch (error) {
      throw new RedisExpertError('DECODE_FAILED', `${key}: the stored session is not valid JSON`, {
        cause: error,
        details: { key },
      })
    }
  }

  #user(session: SessionData): string | undefined {
    const id = this.#userId(session)
    return id === undefined || id === '' ? undefined : identifier('userId', id)
  }

  get(sid: string): Promise<SessionData | null>
  get(sid: string, callback: Callback<SessionData | null>): undefined
  get(sid: string, callback?: Callback<SessionData | null>) {
    return settle(async () => {
      const data = `${this.#prefix}${encodeParam(identifier('sid', sid))}}`
      const value = await this.#db.call(['GET', data])
      return value === null ? null : this.#decode(data, String(value))
    }, callback)
  }

  /** Saves; resolves false when refused because the session was destroyed meanwhile. */
  set(sid: string, session: object): Promise<boolean>
  set(sid: string, session: object, callback: Callback<boolean>): undefined
  set(sid: string, session: object, callback?: Callback<boolean>) {
    return settle(async () => {
      const keys = this.#keys(sid)
      checkSession(session)
      const ttlMs = sessionTtl(session, this.#ttlMs)
      if (ttlMs <= 0) {
        await this.#destroy(keys)
        return false
      }
      const value = String(this.#codec.encode(session))
      const user = this.#user(session)
      if (user === undefined) {
        // Most saves rewrite a session that exists: a plain SET XX does it in one command. It
        // cannot resurrect a destroyed session (destroy removes the key), so only a save that
        // finds no key — a new session, or a destroyed one — needs the script's tombstone check.
        const updated = await this.#db.call(['SET', keys.data, value, 'PX', ttlMs, 'XX'])
        if (updated === 'OK') return true
        return int(await SET.run(this.#db, keys, { value, ttlMs })) === 1
      }
      const save = SET.command(keys, { value, ttlMs })
      // The index lives in the user's slot: the same round trip, as a second command.
      const index = INDEX.command(
        { user: this.keyspace.user.key({ uid: user }) },
        this.#indexArgs(keys.sid, ttlMs),
      )
      const [saved] = await this.#both(save, index, async () => [
        await SET.run(this.#db, keys, { value, ttlMs }),
        await INDEX.run(
          this.#db,
          { user: this.keyspace.user.key({ uid: user }) },
          this.#indexArgs(keys.sid, ttlMs),
        ),
      ])
      return int(saved) === 1
    }, callback)
  }

  /** Extends the TTL only: never writes the session's data, so it cannot undo a concurrent save. */
  touch(sid: string, session: object): Promise<boolean>
  touch(sid: string, session: object, callback: Callback<boolean>): undefined
  touch(sid: string, session: object, callback?: Callback<boolean>) {
    return settle(async () => {
      const keys = this.#keys(sid)
      checkSession(session)
      const ttlMs = sessionTtl(session, this.#ttlMs)
      if (ttlMs <= 0) return false
      const user = this.#user(session)
      const expire: Command = ['PEXPIRE', keys.data, ttlMs]
      if (user === undefined) return int(await this.#db.call(expire)) === 1
      const index = INDEX.command(
        { user: this.keyspace.user.key({ uid: user }) },
        this.#indexArgs(keys.sid, ttlMs),
      )
      const [touched] = await this.#both(expire, index, async () => [
        await this.#db.call(expire),
        await INDEX.run(
          this.#db,
          { user: this.keyspace.user.key({ uid: user }) },
          this.#indexArgs(keys.sid, ttlMs),
        ),
      ])
      return int(touched) === 1
    }, callback)
  }

  destroy(sid: string): Promise<void>
  destroy(sid: string, callback: Callback<void>): undefined
  destroy(sid: string, callback?: Callback<void>) {
    return settle(async () => {
      await this.#destroy(this.#keys(sid))
    }, callback)
  }

  async #destroy(keys: { data: string; gone: string }): Promise<boolean> {
    return (
      int(await DESTROY.run(this.#db, { data: keys.data, gone: keys.gone }, { graceMs: this.#graceMs })) === 1
    )
  }

  /**
   * Every live session of a user (bounded by maxSessionsPerUser). One round trip for the index,
   * one for the sessions' existence.
   */
  async userSessions(userId: string | number): Promise<string[]> {
    const uid = identifier('userId', userId)
    const user = this.keyspace.user.key({ uid })
    const sids = (await this.#db.call(['ZRANGE', user, 0, this.#maxPerUser - 1])) as string[]
    if (sids.length === 0) return []
    const exists = await together(
      this.#db,
      sids.map((sid) => ['EXISTS', this.#keys(sid).data]),
    )
    return sids.filter((_, i) => int(exists[i]) === 1)
  }

  /** Logs a user out everywhere: destroys (and tombstones) every session in the user's index. */
  async destroyUserSessions(userId: string | number): Promise<number> {
    const uid = identifier('userId', userId)
    const user = this.keyspace.user.key({ uid })
    const sids = (await this.#db.call(['ZRANGE', user, 0, this.#maxPerUser - 1])) as string[]
    if (sids.length === 0) return 0
    const destroyed = await Promise.all(sids.map((sid) => this.#destroy(this.#keys(sid))))
    await this.#db.call(['ZREM', user, ...sids])
    return destroyed.filter(Boolean).length
  }

  /** Sessions one by one through SCAN: never KEYS, never one huge reply. */
  async *scan(options: { count?: number } = {}): AsyncGenerator<{ sid: string; session: SessionData }> {
    for await (const key of this.#db.scan({
      match: this.keyspace.data.match,
      count: options.count ?? 500,
      type: 'string',
    })) {
      const params = this.keyspace.data.tryParse(key)
      if (!params) continue
      const value = await this.#db.call(['GET', key])
      if (value !== null) yield { sid: params.sid, session: this.#decode(key, String(value)) }
    }
  }

  async #ids(): Promise<string[]> {
    const ids: string[] = []
    for await (const key of this.#db.scan({ match: this.keyspace.data.match, count: 500, type: 'string' })) {
      const params = this.keyspace.data.tryParse(key)
      if (!params) continue
      if (ids.length === this.#maxListed)
        throw unboundedError(
          `the store holds more than ${this.#maxListed} sessions, more than all()/ids() may return`,
          'iterate with store.scan(), or raise maxListed deliberately',
          { maxListed: this.#maxListed },
        )
      ids.push(params.sid)
    }
    return ids
  }

  ids(): Promise<string[]>
  ids(callback: Callback<string[]>): undefined
  ids(callback?: Callback<string[]>) {
    return settle(() => this.#ids(), callback)
  }

  /** Every session with its `id`, up to maxListed (GUARD_UNBOUNDED beyond: use `scan()`). */
  all(): Promise<SessionData[]>
  all(callback: Callback<SessionData[]>): undefined
  all(callback?: Callback<SessionData[]>) {
    return settle(async () => {
      const ids = await this.#ids()
      const values = await together(
        this.#db,
        ids.map((sid) => ['GET', this.#keys(sid).data]),
      )
      const sessions: SessionData[] = []
      values.forEach((value, i) => {
        if (value !== null) sessions.push({ ...this.#decode(ids[i]!, String(value)), id: ids[i] })
      })
      return sessions
    }, callback)
  }

  /** Counts sessions with SCAN (cursor by cursor: O(N) work, no blocking). */
  length(): Promise<number>
  length(callback: Callback<number>): undefined
  length(callback?: Callback<number>) {
    return settle(async () => {
      let n = 0
      for await (const key of this.#db.scan({ match: this.keyspace.data.match, count: 500, type: 'string' }))
        if (this.keyspace.data.tryParse(key)) n++
      return n
    }, callback)
  }

  /** Destroys every session (each tombstoned, so none comes back through a late save). */
  clear(): Promise<void>
  clear(callback: Callback<void>): undefined
  clear(callback?: Callback<void>) {
    return settle(async () => {
      let pending: Promise<boolean>[] = []
      for await (const key of this.#db.scan({
        match: this.keyspace.data.match,
        count: 500,
        type: 'string',
      })) {
        const params = this.keyspace.data.tryParse(key)
        if (!params) continue
        pending.push(this.#destroy(this.#keys(params.sid)))
        if (pending.length >= 500) {
          await Promise.all(pending)
          pending = []
        }
      }
      await Promise.all(pending)
    }, callback)
  }

  #indexArgs(sid: string, ttlMs: number) {
    return { sid, ttlMs, max: this.#maxPerUser }
  }

  /**
   * Two commands in one round trip: one pipeline on a standalone server, two concurrent calls on
   * a Cluster. Scripts not yet cached on the server (NOSCRIPT) fall back to `slow`.
   */
  async #both(first: Command, second: Command, slow: () => Promise<Reply[]>): Promise<Reply[]> {
    try {
      return await together(this.#db, [first, second])
    } catch (error) {
      if ((error as RedisExpertError).details?.redisCode === 'NOSCRIPT') return slow()
      throw error
    }
  }

  /** express-session wants a subclass of its own `Store`: `session({ store: store.forExpress(session) })`. */
  forExpress<S extends ExpressStoreClass>(session: { readonly Store: S }): InstanceType<S> {
    if (typeof session?.Store !== 'function')
      throw invalidArgument('forExpress takes the express-session module')
    return expressStore(this, session.Store) as InstanceType<S>
  }
}

// biome-ignore lint/suspicious/noExplicitAny: a constructor type must accept any arguments to match every class
type ExpressStoreClass = abstract new (...args: any[]) => object

function expressStore(store: RedisSessionStore, Base: ExpressStoreClass): object {
  const Concrete = Base as unknown as new () => object
  const adapter = new Concrete() as Record<string, unknown>
  // Own properties shadow the prototype's abstract methods; load/regenerate/createSession and the
  // event emitter stay express-session's own.
  for (const name of ['get', 'set', 'touch', 'destroy', 'all', 'length', 'clear', 'ids'] as const) {
    const method = store[name] as (...args: unknown[]) => unknown
    adapter[name] = (...args: unknown[]) => method.apply(store, args)
  }
  adapter.destroyUserSessions = (userId: string | number) => store.destroyUserSessions(userId)
  return adapter
}

/** Any object a framework hands over (its own Session class) is a session; anything else is a bug. */
function checkSession(session: unknown): asserts session is SessionData {
  if (typeof session !== 'object' || session === null || Array.isArray(session))
    throw invalidArgument('a session must be an object')
}

export function createSessionStore(db: RedisExpertClient, options?: SessionStoreOptions): RedisSessionStore {
  return new RedisSessionStore(db, options)
}
