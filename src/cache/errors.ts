import { type ErrorCode, type ErrorDetails, RedisExpertError } from '../errors.js'

/**
 * The codes the cache raises beyond the shared ones (INVALID_ARGUMENT, KEY_PARAM_INVALID,
 * DECODE_FAILED, CONNECTION_*, COMMAND_TIMEOUT):
 * - CACHE_ENTRY_INVALID: createCache() over an entry that is not a `cache` of one value.
 * - CACHE_LOAD_TIMEOUT: the loader outlived `hardTimeoutMs` and there was no stale value to serve.
 * - CACHE_LEASE_TIMEOUT: another process held the lease past `lease.waitMs` and
 *   `lease.onTimeout` is 'error'.
 * - CACHE_WRITE_FAILED: writeThrough's writer succeeded but the cache could not be updated
 *   (the cache may hold the previous value until its TTL).
 * - CACHE_CLOSED: the cache was closed.
 */
export type CacheErrorCode =
  | 'CACHE_ENTRY_INVALID'
  | 'CACHE_LOAD_TIMEOUT'
  | 'CACHE_LEASE_TIMEOUT'
  | 'CACHE_WRITE_FAILED'
  | 'CACHE_CLOSED'

export function cacheError(
  code: CacheErrorCode,
  message: string,
  options: { cause?: unknown; details?: ErrorDetails } = {},
): RedisExpertError {
  // The shared ErrorCode union lists these codes (src/errors.ts); the cast keeps this module
  // compiling on its own while that list is edited elsewhere.
  return new RedisExpertError(code as ErrorCode, message, options)
}

/** Errors that mean "Redis cannot answer now" (down, slow, gone), as opposed to bad input. */
export function isUnavailable(error: unknown): boolean {
  if (!(error instanceof RedisExpertError)) return false
  return (
    error.code === 'CONNECTION_UNAVAILABLE' ||
    error.code === 'CONNECTION_LOST' ||
    error.code === 'CONNECTION_CLOSED' ||
    error.code === 'COMMAND_TIMEOUT'
  )
}
