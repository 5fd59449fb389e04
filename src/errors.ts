/**
 * Every error the toolkit throws is a RedisExpertError with a stable string `code`.
 * Codes are part of the public contract: callers switch on them, so they never change
 * meaning. Each module extends the union below with the codes it raises.
 */
export type ErrorCode =
  // client/
  | 'CONNECTION_FAILED'
  | 'CONNECTION_UNAVAILABLE'
  | 'CONNECTION_CLOSED'
  | 'CONNECTION_LOST'
  | 'CONNECTION_STATE'
  | 'NOT_REPLICATED'
  | 'NOT_SUPPORTED'
  | 'COMMAND_TIMEOUT'
  | 'COMMAND_ERROR'
  | 'INVALID_ARGUMENT'
  // testing/
  | 'REDIS_SERVER_NOT_FOUND'
  | 'LAUNCHER_FAILED'
  // keyspace/
  | 'KEYSPACE_INVALID'
  | 'KEYSPACE_TTL_REQUIRED'
  | 'KEYSPACE_OVERLAP'
  | 'KEY_PARAM_INVALID'
  | 'KEY_MISMATCH'
  | 'DECODE_FAILED'
  | 'ENCODE_FAILED'
  | 'UNBOUNDED_READ'
  | 'CROSS_SLOT'
  // guard/: the hard stops (GUARD_CODES below)
  | GuardCode
  // atomic/
  | 'SCRIPT_ERROR'
  | 'SCRIPT_INVALID'
  | 'TX_CONFLICT'
  // cache/
  | 'CACHE_ENTRY_INVALID'
  | 'CACHE_LOAD_TIMEOUT'
  | 'CACHE_LEASE_TIMEOUT'
  | 'CACHE_WRITE_FAILED'
  | 'CACHE_CLOSED'
  // messaging/
  | 'PUBSUB_OVERFLOW'
  // celery/ and rq/: Python interop
  | 'TASK_FAILED'
  | 'RESULT_TIMEOUT'
  | 'MESSAGE_INVALID'
  // structures/
  | 'LOCK_NOT_ACQUIRED'
  | 'LOCK_NOT_HELD'
  | 'LOCK_LOST'
  | 'SESSION_DESTROYED'

/**
 * The guard's codes, one per hard-stop rule (`GuardError.code`, `Violation.code`, `allow: [...]`).
 * The one list: guard/types.ts re-exports it and maps each rule to its code.
 */
export const GUARD_CODES = [
  'GUARD_KEYS',
  'GUARD_UNBOUNDED',
  'GUARD_TTL_REQUIRED',
  'GUARD_DURABILITY',
  'GUARD_BLOCKING',
  'GUARD_CROSSSLOT',
  'GUARD_SCRIPT',
] as const

/** The error code of a hard stop the guard enforces. */
export type GuardCode = (typeof GUARD_CODES)[number]

/** Structured facts about an error (the key, the option, the Redis error code…), for logs and programs. */
export interface ErrorDetails {
  readonly [name: string]: unknown
}

/**
 * Every error the toolkit raises: a stable `code` to branch on, a message that names the rule, the command
 * or option, and the fix, and `details`.
 */
export class RedisExpertError extends Error {
  readonly code: ErrorCode
  readonly details: ErrorDetails

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; details?: ErrorDetails } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'RedisExpertError'
    this.code = code
    this.details = options.details ?? {}
  }
}

/** Thrown by public functions for arguments that are the caller's mistake. */
export function invalidArgument(message: string, details?: ErrorDetails): RedisExpertError {
  return new RedisExpertError('INVALID_ARGUMENT', message, details ? { details } : {})
}
