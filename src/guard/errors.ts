import { type GuardCode, RedisExpertError } from '../errors.js'
import type { GuardRule, Violation } from './types.js'

const ESCAPE_HATCH = '(escape hatch: db.unsafe({ reason }, ...))'

/** "<CODE>: <COMMAND> <key> refused — <rule>. Fix: <fix>. (escape hatch: ...)" */
export function formatViolation(violation: Violation): string {
  return `${violation.code}: ${violation.command} refused — ${violation.message}. Fix: ${violation.fix}. ${ESCAPE_HATCH}`
}

/** A command refused by one of the hard stops (strict mode). `violations` has every rule it broke. */
export class GuardError extends RedisExpertError {
  override readonly code: GuardCode
  readonly rule: GuardRule
  readonly violation: Violation
  readonly violations: readonly Violation[]

  constructor(violation: Violation, violations: readonly Violation[] = [violation]) {
    super(violation.code, formatViolation(violation), {
      details: {
        rule: violation.rule,
        command: violation.command,
        key: violation.key,
        index: violation.index,
        fix: violation.fix,
      },
    })
    this.name = 'GuardError'
    this.code = violation.code
    this.rule = violation.rule
    this.violation = violation
    this.violations = violations
  }
}

/** Whether an error is the guard's refusal of a command. */
export function isGuardError(error: unknown): error is GuardError {
  return error instanceof GuardError
}
