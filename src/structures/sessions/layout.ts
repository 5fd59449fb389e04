import { identifier } from '../../common/validate.js'
import type { EntryDeclaration } from '../../keyspace/declaration.js'
import type { Keyspace } from '../../keyspace/define.js'
import { encodeParam } from '../../keyspace/escape.js'
import { t } from '../../keyspace/types.js'
import { structureKeyspace } from '../../kit/keyspace.js'
import { isPlainSid, type Layout, plainSid, prefixNamespace } from './options.js'

/** The keys of one session. `legacy`: where connect-redis kept it, while migrating from it. */
export interface SessionKeys {
  readonly sid: string
  readonly data: string
  readonly gone: string
  readonly legacy: string | null
}

/** Keys a SCAN walks to find sessions, and how a key names its session. */
export interface SessionSource {
  readonly match: string
  sidOf(key: string): string | null
  /** Sessions connect-redis wrote, read while migrating (not the store's own layout). */
  readonly legacy: boolean
}

/**
 * Where sessions live. Two layouts:
 *
 * - **tagged** (default): `<ns>:{<sid>}`, its tombstone `<ns>:{<sid>}:gone`, the user index
 *   `<ns>:user:{<uid>}`; ids escaped. With `migrateFrom`, connect-redis's `<prefix><sid>` is read too.
 * - **legacy** (`prefix`): connect-redis's `<prefix><sid>` read and written as it does; the tombstone
 *   `<ns>-meta:gone:{<prefix><sid>}` — its hash tag is the whole session key, so both share a slot
 *   and one script checks and writes them on a Cluster — and the index `<ns>-meta:user:{<uid>}`,
 *   both outside the prefix connect-redis scans.
 */
export class SessionLayout {
  readonly keyspaces: readonly Keyspace[]
  readonly sources: readonly SessionSource[]
  readonly #layout: Layout
  readonly #dataPrefix: string
  readonly #userKey: (uid: string) => string

  constructor(layout: Layout, ttlMs: number, graceMs: number, maxPerUser: number) {
    this.#layout = layout
    const session = {
      type: t.string(),
      role: 'session',
      ttl: ttlMs,
      sliding: true,
      description: "the session (serialized); TTL follows the cookie's expiry (sliding on save and touch)",
    } as const
    const gone = {
      type: t.string(),
      role: 'session',
      // destroy.lua keeps it as long as the session had left, at least graceMs: it may live that long.
      ttl: Math.max(ttlMs, graceMs),
      description: 'tombstone of a destroyed session: saves racing the destroy are refused',
    } as const
    const user = {
      pattern: 'user:{<uid>}',
      type: t.zset(),
      role: 'index',
      ttl: ttlMs,
      maxItems: maxPerUser,
      description: "a user's sessions: session id → expiry (ms), for destroyUserSessions",
    } as const
    if (layout.kind === 'tagged') {
      const own = structureKeyspace(layout.namespace, {
        data: { ...session, pattern: '{<sid>}' },
        gone: { ...gone, pattern: '{<sid>}:gone' },
        user,
      })
      this.#dataPrefix = `${layout.namespace}:{`
      this.#userKey = (uid) => own.user.key({ uid })
      const sources: SessionSource[] = [
        { match: own.data.match, sidOf: (key) => own.data.tryParse(key)?.sid ?? null, legacy: false },
      ]
      const keyspaces: Keyspace[] = [own]
      if (layout.legacyPrefix !== null) {
        keyspaces.push(connectRedisKeyspace('migrateFrom.prefix', layout.legacyPrefix, session))
        sources.push(plainSource(layout.legacyPrefix, true))
      }
      this.keyspaces = keyspaces
      this.sources = sources
    } else {
      const data = connectRedisKeyspace('prefix', layout.prefix, session)
      const meta = structureKeyspace(layout.meta, {
        gone: { ...gone, pattern: `gone:{${layout.prefix}<sid>}` },
        user,
      })
      this.#dataPrefix = layout.prefix
      this.#userKey = (uid) => meta.user.key({ uid })
      this.keyspaces = [data, meta]
      this.sources = [plainSource(layout.prefix, false)]
    }
  }

  /**
   * The session's keys, escaped once. Built by hand on this hot path (two builds per save cost
   * more than the save's own encoding); the keyspaces' builders produce the same keys, which the
   * tests check.
   */
  keys(sid: unknown): SessionKeys {
    const layout = this.#layout
    if (layout.kind === 'legacy') {
      const id = plainSid(sid)
      const data = `${layout.prefix}${id}`
      return { sid: id, data, gone: `${layout.meta}:gone:{${data}}`, legacy: null }
    }
    const id = identifier('sid', sid)
    const data = `${this.#dataPrefix}${encodeParam(id)}}`
    const legacy = layout.legacyPrefix !== null && isPlainSid(id) ? `${layout.legacyPrefix}${id}` : null
    return { sid: id, data, gone: `${data}:gone`, legacy }
  }

  /** Just the session's key, for `get`. */
  dataKey(sid: unknown): string {
    if (this.#layout.kind === 'legacy') return `${this.#dataPrefix}${plainSid(sid)}`
    return `${this.#dataPrefix}${encodeParam(identifier('sid', sid))}}`
  }

  userKey(uid: string): string {
    return this.#userKey(uid)
  }
}

/**
 * connect-redis's `<prefix><sid>`, declared alike whether the store writes it (`prefix`) or only
 * reads it (`migrateFrom`), so two stores over the same keys share one declaration.
 */
function connectRedisKeyspace(what: string, prefix: string, session: Omit<EntryDeclaration, 'pattern'>) {
  return structureKeyspace(prefixNamespace(what, prefix), {
    data: {
      ...session,
      pattern: '<sid>',
      description:
        "a session in connect-redis's layout (<prefix><sid>): read and written with prefix; read, then moved to the tagged layout, with migrateFrom",
    },
  })
}

function plainSource(prefix: string, legacy: boolean): SessionSource {
  return {
    match: `${prefix}*`,
    sidOf: (key) => {
      if (!key.startsWith(prefix)) return null
      const sid = key.slice(prefix.length)
      return isPlainSid(sid) ? sid : null
    },
    legacy,
  }
}
