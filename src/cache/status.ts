import type { CacheMeta } from './types.js'

/**
 * An RFC 9211 `Cache-Status` header value from `getOrSet(..., { meta: true })`:
 * `redis-expert; hit; ttl=42`, `redis-expert; fwd=miss; stored`, `redis-expert; fwd=stale; ttl=-3`.
 * `collapsed` marks a caller that joined another's load.
 */
export function cacheStatusHeader(meta: CacheMeta, cacheName = 'redis-expert'): string {
  const ttl = Number.isFinite(meta.ttlMs) ? `; ttl=${Math.floor(meta.ttlMs / 1000)}` : ''
  const collapsed = meta.shared || meta.waited ? '; collapsed' : ''
  switch (meta.status) {
    case 'hit':
    case 'l1':
      return `${cacheName}; hit${ttl}${meta.status === 'l1' ? '; detail=l1' : ''}`
    case 'stale':
      return `${cacheName}; fwd=stale${ttl}`
    default:
      return `${cacheName}; fwd=miss${collapsed}${meta.negative ? '; detail=not-found' : ''}; stored`
  }
}
