import { RedisExpertError } from '../../errors.js'

/**
 * The codes the structures raise besides the shared ones (INVALID_ARGUMENT, GUARD_UNBOUNDED).
 * src/errors.ts lists them in `ErrorCode`, the one list of codes; this names the ones a structure
 * may raise, and passing it to RedisExpertError without a cast keeps it a subset of that list (a
 * code added here and not there fails to compile).
 */
export type StructureCode = 'LOCK_NOT_ACQUIRED' | 'LOCK_NOT_HELD' | 'LOCK_LOST' | 'SESSION_DESTROYED'

/** A RedisExpertError with a structure's code (LOCK_NOT_HELD, SESSION_DESTROYED, …). */
export function structureError(
  code: StructureCode,
  message: string,
  details: Record<string, unknown> = {},
): RedisExpertError {
  return new RedisExpertError(code, message, { details })
}

/**
 * A request that would allocate or read without bound, refused the way the guard refuses one:
 * GUARD_UNBOUNDED, naming the rule and the fix.
 */
export function unboundedError(message: string, fix: string, details: Record<string, unknown> = {}) {
  return new RedisExpertError('GUARD_UNBOUNDED', `GUARD_UNBOUNDED: ${message}. Fix: ${fix}.`, {
    details: { rule: 'unbounded', fix, ...details },
  })
}
