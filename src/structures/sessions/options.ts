import {
  type Duration,
  durationMs,
  identifier,
  namespaceName,
  positiveInt,
  strictOptions,
} from '../../common/validate.js'
import { invalidArgument } from '../../errors.js'
import type { SessionData } from './types.js'

/** How sessions become text and back; connect-redis's `serializer` (JSON by default). */
export interface SessionSerializer {
  /** The session from its stored text. */
  parse(text: string): SessionData | Promise<SessionData>
  /** The stored text of a session. */
  stringify(session: SessionData): string
}

/** Duration text, unambiguous about its unit: `'30m'`, `'1d'`, `'2w'`. */
export type DurationText = `${number}${'ms' | 's' | 'm' | 'h' | 'd' | 'w'}`

/**
 * connect-redis's meaning: a number is **seconds**, a function returns seconds for a session
 * (and, as in connect-redis, overrides the cookie). Text says its unit.
 */
export type SessionTtl = number | DurationText | ((session: SessionData) => number)

/** Sessions written by connect-redis (`<prefix><sid>`, default prefix `sess:`). */
export interface ConnectRedisSource {
  readonly store: 'connect-redis'
  /** The `prefix` connect-redis was given, default `'sess:'`. */
  readonly prefix?: string
}

/**
 * A session store's options: layout (namespace, connect-redis prefix or migration), TTL, serializer, user
 * index and listing bounds.
 */
export interface SessionStoreOptions {
  /** Keyspace namespace of the default layout (`<namespace>:{<sid>}`), default `sess`. */
  readonly namespace?: string
  /**
   * connect-redis's key layout, `<prefix><sid>` (e.g. `'sess:'`), read and written as connect-redis
   * does, so both can run against the same keys during a rolling deploy or a rollback. Tombstones and
   * the user index then live in `<name>-meta:…` (outside the prefix, which connect-redis scans).
   */
  readonly prefix?: string
  /**
   * Read sessions connect-redis wrote while writing the default (hash-tagged) layout: a session is
   * moved on its next save; `migrate()` moves the rest. `'connect-redis'` means prefix `sess:`.
   */
  readonly migrateFrom?: 'connect-redis' | ConnectRedisSource
  /** TTL of a session whose cookie has no expiry: seconds (connect-redis), `'1d'`, or a function. Default 1 day. */
  readonly ttl?: SessionTtl
  /** Only `false`: a session key without a TTL is refused (hard stop 3). Use a long `ttl`. */
  readonly disableTTL?: boolean
  /** `touch` does nothing (no command), as in connect-redis. */
  readonly disableTouch?: boolean
  /** Default JSON. */
  readonly serializer?: SessionSerializer
  /** SCAN COUNT for `all`, `ids`, `length`, `clear`, `scan`, `page`, `migrate`; default 100. */
  readonly scanCount?: number
  /** How long a destroyed session stays refused at least (longer than any request), default 10 min. */
  readonly tombstone?: Duration
  /** The user a session belongs to, for `destroyUserSessions`; default `session.userId`. */
  readonly userId?: (session: SessionData) => string | number | undefined
  /** Sessions indexed per user (the oldest-expiring go first), default 100. */
  readonly maxSessionsPerUser?: number
  /** At most this many sessions from `all()` / `ids()`; past it they refuse (use `page()`), default 1000. */
  readonly maxListed?: number
}

export type Layout =
  | { readonly kind: 'tagged'; readonly namespace: string; readonly legacyPrefix: string | null }
  | { readonly kind: 'legacy'; readonly prefix: string; readonly meta: string }

export interface ResolvedSessionOptions {
  readonly layout: Layout
  readonly ttlMs: number
  /** connect-redis's `ttl` function, in ms. */
  readonly ttlOf: ((session: SessionData) => number) | null
  readonly disableTouch: boolean
  /** null: the built-in JSON path. */
  readonly serializer: SessionSerializer | null
  readonly scanCount: number
  readonly graceMs: number
  readonly userId: (session: SessionData) => string | number | undefined
  readonly maxPerUser: number
  readonly maxListed: number
}

const KNOWN = [
  'namespace',
  'prefix',
  'migrateFrom',
  'ttl',
  'disableTTL',
  'disableTouch',
  'serializer',
  'scanCount',
  'tombstone',
  'userId',
  'maxSessionsPerUser',
  'maxListed',
] as const

const DAY_MS = 86_400_000

const defaultUserId = (session: SessionData) => {
  const id = session.userId
  return typeof id === 'string' || typeof id === 'number' ? id : undefined
}

export function resolveSessionOptions(options: unknown): ResolvedSessionOptions {
  if (typeof options === 'object' && options !== null && Object.hasOwn(options, 'client'))
    throw invalidArgument(
      'createSessionStore: pass the client as the first argument — createSessionStore(db, options) — not as options.client',
    )
  const o = strictOptions('createSessionStore options', options, KNOWN)
  if (o.disableTTL !== undefined && o.disableTTL !== false) {
    throw invalidArgument(
      o.disableTTL === true
        ? "createSessionStore: disableTTL is refused — a session key without a TTL is never removed (hard stop 3: every session key expires). Give a long ttl instead, e.g. ttl: '30d' (or ttl: 2592000, in seconds)"
        : 'createSessionStore: disableTTL must be false or absent',
      { disableTTL: o.disableTTL },
    )
  }
  if (o.disableTouch !== undefined && typeof o.disableTouch !== 'boolean')
    throw invalidArgument('createSessionStore: disableTouch must be a boolean', {
      disableTouch: o.disableTouch,
    })
  if (o.userId !== undefined && typeof o.userId !== 'function')
    throw invalidArgument('userId must be a function of the session')
  const { ttlMs, ttlOf } = resolveTtl(o.ttl)
  return {
    layout: resolveLayout(o),
    ttlMs,
    ttlOf,
    disableTouch: o.disableTouch === true,
    serializer: resolveSerializer(o.serializer),
    scanCount: positiveInt('scanCount', o.scanCount, 100, 1000),
    graceMs: durationMs('tombstone', o.tombstone, 600_000),
    userId: (o.userId as SessionStoreOptions['userId']) ?? defaultUserId,
    maxPerUser: positiveInt('maxSessionsPerUser', o.maxSessionsPerUser, 100, 1000),
    maxListed: positiveInt('maxListed', o.maxListed, 1000, 100_000),
  }
}

function resolveTtl(value: unknown): { ttlMs: number; ttlOf: ResolvedSessionOptions['ttlOf'] } {
  if (value === undefined) return { ttlMs: DAY_MS, ttlOf: null }
  if (typeof value === 'function') {
    const fn = value as (session: SessionData) => unknown
    return {
      ttlMs: DAY_MS,
      ttlOf: (session) => {
        const seconds = fn(session)
        if (typeof seconds !== 'number' || !Number.isFinite(seconds))
          throw invalidArgument('the ttl function must return a finite number of seconds', { ttl: seconds })
        return Math.ceil(seconds * 1000)
      },
    }
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value <= 0 || value > 100 * 365 * 86_400)
      throw invalidArgument(
        'ttl is in seconds, as in connect-redis (86400 = one day), and must be > 0; omit it for one day',
        { ttl: value },
      )
    return { ttlMs: Math.max(1, Math.round(value * 1000)), ttlOf: null }
  }
  if (typeof value === 'string') return { ttlMs: durationMs('ttl', value), ttlOf: null }
  throw invalidArgument(
    "ttl must be seconds (86400), text with a unit ('1d'), or a function returning seconds",
    {
      ttl: value,
    },
  )
}

function resolveSerializer(value: unknown): SessionSerializer | null {
  if (value === undefined || value === JSON) return null
  const s = value as Partial<SessionSerializer> | null
  if (
    typeof s !== 'object' ||
    s === null ||
    typeof s.parse !== 'function' ||
    typeof s.stringify !== 'function'
  )
    throw invalidArgument('serializer must be an object with parse(text) and stringify(session), like JSON')
  return s as SessionSerializer
}

/** `'sess:'` → `'sess'`; refuses prefixes the keyspace cannot declare, saying what works. */
export function prefixNamespace(what: string, prefix: unknown): string {
  if (typeof prefix !== 'string' || !prefix.endsWith(':') || prefix.length < 2)
    throw invalidArgument(
      `${what} must be a key prefix ending in ':', as connect-redis's default 'sess:' (keys are '<prefix><sid>'); other prefixes cannot be declared in a keyspace — migrate those sessions with your own script`,
      { [what]: prefix },
    )
  return namespaceName(what, prefix.slice(0, -1), '')
}

function resolveLayout(o: Record<string, unknown>): Layout {
  if (o.prefix !== undefined) {
    if (o.migrateFrom !== undefined)
      throw invalidArgument(
        "prefix keeps connect-redis's layout; migrateFrom moves away from it: give one (migrateFrom: { store: 'connect-redis', prefix })",
      )
    const name = prefixNamespace('prefix', o.prefix)
    const meta = namespaceName('namespace', o.namespace, `${name}-meta`)
    if (`${meta}:`.startsWith(o.prefix as string))
      throw invalidArgument(
        `namespace '${meta}' is inside prefix '${String(o.prefix)}': connect-redis would list the store's own keys as sessions; omit namespace (default '${name}-meta')`,
      )
    return { kind: 'legacy', prefix: o.prefix as string, meta }
  }
  const namespace = namespaceName('namespace', o.namespace, 'sess')
  if (o.migrateFrom === undefined) return { kind: 'tagged', namespace, legacyPrefix: null }
  const source = o.migrateFrom === 'connect-redis' ? { store: 'connect-redis' } : o.migrateFrom
  const s = (typeof source === 'object' && source !== null ? source : {}) as Record<string, unknown>
  const unknown = Object.keys(s).filter((k) => k !== 'store' && k !== 'prefix')
  if (s.store !== 'connect-redis' || unknown.length > 0 || Array.isArray(source))
    throw invalidArgument(
      "migrateFrom must be 'connect-redis' or { store: 'connect-redis', prefix?: 'sess:' } (the only store it reads)",
      { migrateFrom: o.migrateFrom },
    )
  const legacyPrefix = (s.prefix as string | undefined) ?? 'sess:'
  prefixNamespace('migrateFrom.prefix', legacyPrefix)
  return { kind: 'tagged', namespace, legacyPrefix }
}

/** Session ids written into a connect-redis key as they are: only characters no escaping changes. */
const PLAIN_SID = /^[A-Za-z0-9\-._~]+$/

export function isPlainSid(sid: string): boolean {
  return sid.length <= 512 && PLAIN_SID.test(sid)
}

export function plainSid(sid: unknown): string {
  const id = identifier('sid', sid)
  if (!PLAIN_SID.test(id))
    throw invalidArgument(
      "with prefix (connect-redis's layout) a session id is written into the key as it is, so it may only use A-Z a-z 0-9 - . _ ~ (express-session's ids and UUIDs do); other ids need the default layout, which escapes them",
    )
  return id
}
