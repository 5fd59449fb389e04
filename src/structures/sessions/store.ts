import { EventEmitter } from 'node:events'
import type { Client } from '../../client/client.js'
import { json } from '../../codec/index.js'
import type { Command, Reply } from '../../common/types.js'
import { identifier, strictOptions } from '../../common/validate.js'
import { invalidArgument, RedisExpertError } from '../../errors.js'
import type { Keyspace } from '../../keyspace/define.js'
import { declareOn } from '../../kit/keyspace.js'
import { structureError, unboundedError } from '../common/errors.js'
import { int, together } from '../common/round-trip.js'
import { settle } from './callback.js'
import { decodeCursor, encodeCursor } from './cursor.js'
import { type SessionKeys, SessionLayout } from './layout.js'
import { type ResolvedSessionOptions, resolveSessionOptions, type SessionStoreOptions } from './options.js'
import { DESTROY, INDEX, MOVE, SET } from './scripts.js'
import { sessionTtl } from './ttl.js'
import type { Callback, SessionData } from './types.js'

export type { ConnectRedisSource, SessionSerializer, SessionStoreOptions, SessionTtl } from './options.js'

/** One page of `page()`: sessions in SCAN order, and the cursor of the next page (absent on the last). */
export interface SessionPage {
  readonly sessions: readonly { readonly sid: string; readonly session: SessionData }[]
  readonly next?: string
}

/** What `migrate()` did: sessions moved to the tagged layout, and those already there or destroyed. */
export interface MigrationReport {
  readonly moved: number
  readonly skipped: number
}

/** A Redis command sent with others, and how to run it alone when its script is not cached yet. */
interface Step {
  readonly command: Command
  readonly alone: () => Promise<Reply>
}

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
  readonly #db: Client
  readonly #o: ResolvedSessionOptions
  readonly #layout: SessionLayout

  constructor(db: Client, options?: SessionStoreOptions) {
    super()
    this.#o = resolveSessionOptions(options)
    this.#layout = new SessionLayout(this.#o.layout, this.#o.ttlMs, this.#o.graceMs, this.#o.maxPerUser)
    this.keyspaces = this.#layout.keyspaces
    this.keyspace = this.keyspaces[0]!
    for (const keyspace of this.keyspaces) declareOn(db, keyspace)
    this.#db = db
  }

  /** The keys of a session: where it is stored and its tombstone (and, migrating, connect-redis's key). */
  keysOf(sid: string): SessionKeys {
    return this.#layout.keys(sid)
  }

  async #decode(key: string, text: string): Promise<SessionData> {
    let session: unknown
    try {
      session = this.#o.serializer ? await this.#o.serializer.parse(text) : json.decode(text)
    } catch (error) {
      throw new RedisExpertError('DECODE_FAILED', `${key}: the stored session could not be parsed`, {
        cause: error,
        details: { key },
      })
    }
    if (typeof session !== 'object' || session === null || Array.isArray(session))
      throw new RedisExpertError('DECODE_FAILED', `${key}: the stored session is not an object`, {
        details: { key },
      })
    return session as SessionData
  }

  #encode(session: SessionData): string {
    if (!this.#o.serializer) return String(json.encode(session))
    const text = this.#o.serializer.stringify(session)
    if (typeof text !== 'string')
      throw new RedisExpertError('ENCODE_FAILED', 'the serializer must return a string from stringify()')
    return text
  }

  #ttl(session: SessionData): number {
    return this.#o.ttlOf ? this.#o.ttlOf(session) : sessionTtl(session, this.#o.ttlMs)
  }

  #user(session: SessionData): string | undefined {
    const id = this.#o.userId(session)
    return id === undefined || id === '' ? undefined : identifier('userId', id)
  }

  get(sid: string): Promise<SessionData | null>
  get(sid: string, callback: Callback<SessionData | null>): undefined
  get(sid: string, callback?: Callback<SessionData | null>) {
    return settle(async () => {
      const data = this.#layout.dataKey(sid)
      const value = await this.#db.call(['GET', data])
      if (value !== null) return this.#decode(data, String(value))
      const legacy = this.#layout.keys(sid).legacy
      if (legacy === null) return null
      const old = await this.#db.call(['GET', legacy])
      return old === null ? null : this.#decode(legacy, String(old))
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
    return settle(async () => {
      const keys = this.#layout.keys(sid)
      checkSession(session)
      const ttlMs = this.#ttl(session)
      if (ttlMs <= 0) {
        await this.#destroy(keys)
        return false
      }
      const value = this.#encode(session)
      const user = this.#user(session)
      if (user === undefined) {
        // Most saves rewrite a session that exists: a plain SET XX does it in one command. It
        // cannot resurrect a destroyed session (destroy removes the key), so only a save that
        // finds no key — a new session, or a destroyed one — needs the script's tombstone check.
        const updated = await this.#db.call(['SET', keys.data, value, 'PX', ttlMs, 'XX'])
        if (updated === 'OK') return true
      }
      const steps: Step[] = [
        {
          command: SET.command(keys, { value, ttlMs }),
          alone: () => SET.run(this.#db, keys, { value, ttlMs }),
        },
      ]
      if (user !== undefined) steps.push(this.#index(user, keys.sid, ttlMs))
      // Migrating: the session now lives in the tagged layout; connect-redis's copy goes.
      if (keys.legacy !== null) steps.push(this.#plain(['UNLINK', keys.legacy]))
      const [saved] = await this.#together(steps)
      if (int(saved) !== 1)
        throw structureError(
          'SESSION_DESTROYED',
          'SESSION_DESTROYED: this session was destroyed (logout, destroyUserSessions or clear) while the request held it; the save is refused so that it stays destroyed. Start a new session with a new id (express-session: req.session.regenerate)',
        )
      return true
    }, callback)
  }

  /**
   * Extends the TTL only: never writes the session's data, so it cannot undo a concurrent save.
   * An expiry already past removes the session (as connect-redis's EXPIRE does). Resolves whether a
   * session was there to extend; with `disableTouch`, does nothing and resolves false.
   */
  touch(sid: string, session: object): Promise<boolean>
  touch(sid: string, session: object, callback: Callback<boolean>): undefined
  touch(sid: string, session: object, callback?: Callback<boolean>) {
    return settle(async () => {
      const keys = this.#layout.keys(sid)
      checkSession(session)
      if (this.#o.disableTouch) return false
      const ttlMs = this.#ttl(session)
      if (ttlMs <= 0) {
        await this.#destroy(keys)
        return false
      }
      const user = this.#user(session)
      const expire = this.#plain(['PEXPIRE', keys.data, ttlMs])
      const [touched] = await this.#together(
        user === undefined ? [expire] : [expire, this.#index(user, keys.sid, ttlMs)],
      )
      if (int(touched) === 1) return true
      // Migrating: a session not saved since the switch still lives in connect-redis's key.
      if (keys.legacy !== null) return int(await this.#db.call(['PEXPIRE', keys.legacy, ttlMs])) === 1
      return false
    }, callback)
  }

  destroy(sid: string): Promise<void>
  destroy(sid: string, callback: Callback<void>): undefined
  destroy(sid: string, callback?: Callback<void>) {
    return settle(async () => {
      await this.#destroy(this.#layout.keys(sid))
    }, callback)
  }

  async #destroy(keys: SessionKeys): Promise<boolean> {
    const target = { data: keys.data, gone: keys.gone }
    const args = { graceMs: this.#o.graceMs }
    const steps: Step[] = [
      { command: DESTROY.command(target, args), alone: () => DESTROY.run(this.#db, target, args) },
    ]
    if (keys.legacy !== null) steps.push(this.#plain(['UNLINK', keys.legacy]))
    const [destroyed, unlinked] = await this.#together(steps)
    return int(destroyed) === 1 || int(unlinked ?? 0) === 1
  }

  /**
   * Every live session of a user (bounded by maxSessionsPerUser). One round trip for the index,
   * one for the sessions' existence.
   */
  async userSessions(userId: string | number): Promise<string[]> {
    const user = this.#layout.userKey(identifier('userId', userId))
    const sids = (await this.#db.call(['ZRANGE', user, 0, this.#o.maxPerUser - 1])) as string[]
    if (sids.length === 0) return []
    const exists = await together(
      this.#db,
      sids.map((sid) => ['EXISTS', this.#layout.keys(sid).data]),
    )
    return sids.filter((_, i) => int(exists[i]) === 1)
  }

  /** Logs a user out everywhere: destroys (and tombstones) every session in the user's index. */
  async destroyUserSessions(userId: string | number): Promise<number> {
    const user = this.#layout.userKey(identifier('userId', userId))
    const sids = (await this.#db.call(['ZRANGE', user, 0, this.#o.maxPerUser - 1])) as string[]
    if (sids.length === 0) return 0
    const destroyed = await Promise.all(sids.map((sid) => this.#destroy(this.#layout.keys(sid))))
    await this.#db.call(['ZREM', user, ...sids])
    return destroyed.filter(Boolean).length
  }

  /** Session keys through SCAN (never KEYS): every source, each session once per source. */
  async *#keys(): AsyncGenerator<{ sid: string; key: string }> {
    for (const source of this.#layout.sources)
      for await (const key of this.#db.scan({
        match: source.match,
        count: this.#o.scanCount,
        type: 'string',
      })) {
        const sid = source.sidOf(key)
        if (sid !== null) yield { sid, key }
      }
  }

  /** Sessions one by one through SCAN: never KEYS, never one huge reply. */
  async *scan(options: { count?: number } = {}): AsyncGenerator<{ sid: string; session: SessionData }> {
    if (options.count !== undefined) checkCount(options.count)
    for (const source of this.#layout.sources)
      for await (const key of this.#db.scan({
        match: source.match,
        count: options.count ?? this.#o.scanCount,
        type: 'string',
      })) {
        const sid = source.sidOf(key)
        if (sid === null) continue
        const value = await this.#db.call(['GET', key])
        if (value !== null) yield { sid, session: await this.#decode(key, String(value)) }
      }
  }

  /**
   * A page of sessions for admin screens that list more than `maxListed`: about `limit` sessions
   * (default 100, at most maxListed; one SCAN call may bring a few more), and `next` to pass back
   * for the following page. Stateless: the cursor is the SCAN position (per master on a Cluster).
   * As SCAN promises, a session present from the first page to the last is listed; one created or
   * destroyed meanwhile may or may not be, and one may appear twice.
   */
  async page(options: { cursor?: string; limit?: number } = {}): Promise<SessionPage> {
    strictOptions('page options', options, ['cursor', 'limit'])
    const limit = options.limit ?? Math.min(100, this.#o.maxListed)
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > this.#o.maxListed)
      throw invalidArgument(`page: limit must be an integer from 1 to maxListed (${this.#o.maxListed})`, {
        limit,
      })
    const masters = (await this.#db.masters()).sort((a, b) => (a.address < b.address ? -1 : 1))
    const sources = this.#layout.sources
    let at =
      options.cursor === undefined
        ? { source: 0, node: 0, scan: '0' }
        : decodeCursor(
            options.cursor,
            sources.length,
            masters.map((m) => m.address),
          )
    const found: { sid: string; key: string }[] = []
    while (found.length < limit && at.source < sources.length) {
      const source = sources[at.source]!
      const node = masters[at.node]!
      const [next, keys] = (await node.call([
        'SCAN',
        at.scan,
        'MATCH',
        source.match,
        'COUNT',
        this.#o.scanCount,
        'TYPE',
        'string',
      ])) as [string, string[]]
      for (const key of keys) {
        const sid = source.sidOf(key)
        if (sid !== null) found.push({ sid, key })
      }
      if (next !== '0') at = { ...at, scan: next }
      else if (at.node + 1 < masters.length) at = { source: at.source, node: at.node + 1, scan: '0' }
      else at = { source: at.source + 1, node: 0, scan: '0' }
    }
    const values = await together(
      this.#db,
      found.map(({ key }) => ['GET', key]),
    )
    const sessions: { sid: string; session: SessionData }[] = []
    for (let i = 0; i < found.length; i++) {
      const value = values[i]
      if (value !== null && value !== undefined)
        sessions.push({ sid: found[i]!.sid, session: await this.#decode(found[i]!.key, String(value)) })
    }
    if (at.source >= sources.length) return { sessions }
    return { sessions, next: encodeCursor(at.source, masters[at.node]!.address, at.scan) }
  }

  async #listed(): Promise<{ sid: string; key: string }[]> {
    const found = new Map<string, string>()
    for await (const { sid, key } of this.#keys()) {
      if (found.has(sid)) continue
      if (found.size === this.#o.maxListed)
        throw unboundedError(
          `the store holds more than ${this.#o.maxListed} sessions, more than all()/ids() may return`,
          'page through them with store.page({ cursor }) (or iterate store.scan()), or raise maxListed deliberately',
          { maxListed: this.#o.maxListed },
        )
      found.set(sid, key)
    }
    return [...found].map(([sid, key]) => ({ sid, key }))
  }

  ids(): Promise<string[]>
  ids(callback: Callback<string[]>): undefined
  ids(callback?: Callback<string[]>) {
    return settle(async () => (await this.#listed()).map(({ sid }) => sid), callback)
  }

  /** Every session with its `id`, up to maxListed (GUARD_UNBOUNDED beyond: use `page()`). */
  all(): Promise<SessionData[]>
  all(callback: Callback<SessionData[]>): undefined
  all(callback?: Callback<SessionData[]>) {
    return settle(async () => {
      const listed = await this.#listed()
      const values = await together(
        this.#db,
        listed.map(({ key }) => ['GET', key]),
      )
      const sessions: SessionData[] = []
      for (let i = 0; i < listed.length; i++) {
        const value = values[i]
        const { sid, key } = listed[i]!
        if (value !== null && value !== undefined)
          sessions.push({ ...(await this.#decode(key, String(value))), id: sid })
      }
      return sessions
    }, callback)
  }

  /** Counts sessions with SCAN (cursor by cursor: O(N) work, no blocking). */
  length(): Promise<number>
  length(callback: Callback<number>): undefined
  length(callback?: Callback<number>) {
    return settle(async () => {
      let n = 0
      for await (const _ of this.#keys()) n++
      return n
    }, callback)
  }

  /** Destroys every session (each tombstoned, so none comes back through a late save). */
  clear(): Promise<void>
  clear(callback: Callback<void>): undefined
  clear(callback?: Callback<void>) {
    return settle(async () => {
      let pending: Promise<boolean>[] = []
      for await (const { sid } of this.#keys()) {
        pending.push(this.#destroy(this.#layout.keys(sid)))
        if (pending.length >= 500) {
          await Promise.all(pending)
          pending = []
        }
      }
      await Promise.all(pending)
    }, callback)
  }

  /**
   * With `migrateFrom`: moves every session connect-redis wrote into the tagged layout (keeping its
   * remaining TTL and indexing its user), then removes connect-redis's key. Sessions already saved
   * in the tagged layout, or destroyed, are skipped (and their old key removed). Safe while the
   * application runs; afterwards `migrateFrom` can go.
   */
  async migrate(): Promise<MigrationReport> {
    const source = this.#layout.sources.find((s) => s.legacy)
    if (!source)
      throw invalidArgument(
        "migrate() moves sessions connect-redis wrote: create the store with migrateFrom: 'connect-redis'",
      )
    let moved = 0
    let skipped = 0
    const one = async (sid: string, key: string) => {
      const [value, pttl] = await this.#db.batch([
        ['GET', key],
        ['PTTL', key],
      ])
      if (value === null || value === undefined) return
      const ttlMs = int(pttl) > 0 ? int(pttl) : this.#o.ttlMs
      const keys = this.#layout.keys(sid)
      const text = String(value)
      const target = { data: keys.data, gone: keys.gone }
      const [done] = await this.#together([
        {
          command: MOVE.command(target, { value: text, ttlMs }),
          alone: () => MOVE.run(this.#db, target, { value: text, ttlMs }),
        },
      ])
      if (int(done) !== 1) skipped++
      else {
        moved++
        const user = await this.#decode(key, text).then(
          (session) => this.#user(session),
          () => undefined,
        )
        if (user !== undefined) await this.#together([this.#index(user, sid, ttlMs)])
      }
      await this.#db.call(['UNLINK', key])
    }
    let pending: Promise<void>[] = []
    for await (const key of this.#db.scan({
      match: source.match,
      count: this.#o.scanCount,
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

  #index(user: string, sid: string, ttlMs: number): Step {
    const keys = { user: this.#layout.userKey(user) }
    const args = { sid, ttlMs, max: this.#o.maxPerUser }
    return { command: INDEX.command(keys, args), alone: () => INDEX.run(this.#db, keys, args) }
  }

  #plain(command: Command): Step {
    return { command, alone: () => this.#db.call(command) }
  }

  /**
   * Commands on keys that may live in different slots, in one round trip: one pipeline on a
   * standalone server, concurrent calls on a Cluster. Scripts not yet cached on the server
   * (NOSCRIPT) make every step run alone, in order (each is idempotent).
   */
  async #together(steps: readonly Step[]): Promise<Reply[]> {
    try {
      return await together(
        this.#db,
        steps.map((s) => s.command),
      )
    } catch (error) {
      if ((error as RedisExpertError).details?.redisCode !== 'NOSCRIPT') throw error
      const replies: Reply[] = []
      for (const step of steps) replies.push(await step.alone())
      return replies
    }
  }

  /** express-session wants a subclass of its own `Store`: `session({ store: store.forExpress(session) })`. */
  forExpress<S extends ExpressStoreClass>(session: { readonly Store: S }): InstanceType<S> {
    if (typeof session?.Store !== 'function')
      throw invalidArgument('forExpress takes the express-session module')
    return expressStore(this, session.Store) as InstanceType<S>
  }
}

function checkCount(count: unknown): void {
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 1 || count > 1000)
    throw invalidArgument('count must be an integer from 1 to 1000', { count })
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
  adapter.page = (options?: { cursor?: string; limit?: number }) => store.page(options)
  return adapter
}

/** Any object a framework hands over (its own Session class) is a session; anything else is a bug. */
function checkSession(session: unknown): asserts session is SessionData {
  if (typeof session !== 'object' || session === null || Array.isArray(session))
    throw invalidArgument('a session must be an object')
}

export function createSessionStore(db: Client, options?: SessionStoreOptions): RedisSessionStore {
  return new RedisSessionStore(db, options)
}
