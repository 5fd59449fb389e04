/**
 * redis-expert/cache — caching that does not stampede: look-aside and write-through over a
 * keyspace entry of role `cache`, with single flight, a cross-process lease, early refresh,
 * stale serving, negative caching, tags and a coherent in-process L1. See docs/cache.md.
 */
export { Cache } from './cache.js'
export { createCache } from './create.js'
export type { CacheErrorCode } from './errors.js'
export { cacheStatusHeader } from './status.js'
export type {
  CacheEvents,
  CacheMeta,
  CacheOptions,
  CacheParams,
  CacheResult,
  CacheStats,
  CacheStatus,
  CacheValue,
  EarlyRefreshOptions,
  GetOptions,
  GetOrSetOptions,
  L1Options,
  LeaseOptions,
  Loader,
  LoaderContext,
  LoadOptions,
  StaleReason,
  WriteOptions,
} from './types.js'
