import { type ErrorCode, RedisExpertError } from '../../errors.js'

/**
 * The codes the structures raise besides the shared ones (INVALID_ARGUMENT, GUARD_UNBOUNDED).
 * `StructureCode` once src/errors.ts lists them; `ErrorCode` until then, so this compiles either
 * way and narrows by itself when they are added (the same device as guard/errors.ts).
 */
export type StructureCode = 'LOCK_NOT_ACQUIRED' | 'LOCK_NOT_HELD' | 'LOCK_LOST' | 'SESSION_DESTROYED'
type Code = [StructureCode] extends [ErrorCode] ? StructureCode : ErrorCode

export function structureError(
  code: StructureCode,
  message: string,
  details: Record<string, unknown> = {},
): RedisExpertError {
  return new RedisExpertError(code as string as Code, message, { details })
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
