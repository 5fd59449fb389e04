import type { ResolvedSessionOptions } from './options.js'
import type { SessionData } from './types.js'

/**
 * The TTL in ms a save or touch gives the session. connect-redis's `ttl` function, when given,
 * decides (it overrides the cookie there too); otherwise the cookie does. ≤ 0: already expired,
 * and the caller destroys the session instead of writing it.
 */
export function ttlFor(
  options: Pick<ResolvedSessionOptions, 'ttlOf' | 'ttlMs'>,
  session: SessionData,
): number {
  return options.ttlOf ? options.ttlOf(session) : sessionTtl(session, options.ttlMs)
}

/**
 * The session's TTL in ms: until the cookie expires (sliding: every save and touch moves it),
 * else its maxAge, else the store's default. ≤ 0 means already expired.
 */
export function sessionTtl(session: SessionData, defaultMs: number, now = Date.now()): number {
  const cookie = session.cookie
  const expires = cookie?.expires
  if (expires !== undefined && expires !== null) {
    const at = expires instanceof Date ? expires.getTime() : Date.parse(String(expires))
    if (!Number.isNaN(at)) return Math.ceil(at - now)
  }
  const maxAge = cookie?.maxAge ?? cookie?.originalMaxAge
  if (typeof maxAge === 'number' && Number.isFinite(maxAge)) return Math.ceil(maxAge)
  return defaultMs
}
