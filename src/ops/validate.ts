import { positiveInt } from '../common/validate.js'
import { RedisExpertError } from '../errors.js'

/**
 * Argument checks for typed operations: the caller's mistakes become INVALID_ARGUMENT before any I/O.
 * Integers are checked by common/validate.ts (safeInt, nonNegativeInt, positiveInt) as everywhere else.
 */

export function invalid(
  op: string,
  message: string,
  details: Record<string, unknown> = {},
): RedisExpertError {
  return new RedisExpertError('INVALID_ARGUMENT', `${op}: ${message}`, { details: { op, ...details } })
}

/** Scores: any number but NaN; ±Infinity are Redis's +inf / -inf. */
export function score(op: string, value: unknown): string {
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw invalid(op, `a score must be a number (±Infinity allowed), got ${String(value)}`)
  }
  if (value === Number.POSITIVE_INFINITY) return '+inf'
  if (value === Number.NEGATIVE_INFINITY) return '-inf'
  return String(value)
}

export function fieldName(op: string, value: unknown): string {
  if (typeof value === 'string') return value
  throw invalid(op, `a field name must be a string, got ${typeof value}`)
}

export function atLeastOne<T>(op: string, what: string, values: readonly T[]): readonly T[] {
  if (values.length === 0) throw invalid(op, `needs at least one ${what}`)
  return values
}

export function plainObject(op: string, value: unknown): Record<string, unknown> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value)) {
    return value as Record<string, unknown>
  }
  throw invalid(op, `expects an object of fields, got ${value === null ? 'null' : typeof value}`)
}

/** SCAN COUNT hint: a positive integer, default 100. */
export function scanCount(op: string, value: unknown): number {
  return positiveInt(`${op} count`, value, 100, Number.MAX_SAFE_INTEGER)
}
