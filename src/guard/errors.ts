import { type ErrorCode, RedisExpertError } from '../errors.js'
import type { GuardCode, GuardRule, Violation } from './types.js'

/**
 * `GuardCode` once `ErrorCode` (src/errors.ts) lists the guard's codes; `ErrorCode` until then, so
 * this file compiles either way and narrows by itself when the codes are added.
 */
type GuardErrorCode = [GuardCode] extends [ErrorCode] ? GuardCode : ErrorCode

const ESCAPE_HATCH = '(escape hatch: db.unsafe({ reason }, ...))'

/** "<CODE>: <COMMAND> <key> refused — <rule>. Fix: <fix>. (escape hatch: ...)" */
export function formatViolation(violation: Violation): string {
  return `${violation.code}: ${violation.command} refused — ${violation.message}. Fix: ${violation.fix}. ${ESCAPE_HATCH}`
}

/** A command refused by one of the hard stops (strict mode). `violations` has every rule it broke. */
export class GuardError extends RedisExpertError {
  override readonly code: GuardErrorCode
  readonly rule: GuardRule
  readonly violation: Violation
  readonly violations: readonly Violation[]

  constructor(violation: Violation, violations: readonly Violation[] = [violation]) {
    super(violation.code as string as ErrorCode, formatViolation(violation), {
      details: {
        rule: violation.rule,
        command: violation.command,
        key: violation.key,
        index: violation.index,
        fix: violation.fix,
      },
    })
    this.name = 'GuardError'
    this.code = violation.code as string as GuardErrorCode
    this.rule = violation.rule
    this.violation = violation
    this.violations = violations
  }
}

export function isGuardError(error: unknown): error is GuardError {
  return error instanceof GuardError
}
