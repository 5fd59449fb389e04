import { RedisExpertError } from '../errors.js'

/** Argument checks for typed operations: the caller's mistakes become INVALID_ARGUMENT before any I/O. */

export function invalid(
  op: string,
  message: string,
  details: Record<string, unknown> = {},
): RedisExpertError {
  return new RedisExpertError('INVALID_ARGUMENT', `${op}: ${message}`, { details: { op, ...details } })
}

export function safeInteger(op: string, name: string, value: unknown): number {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value
  throw invalid(op, `${name} must be a safe integer, got ${String(value)}`, { [name]: value })
}

export function nonNegativeInteger(
  op: string,
  name: string,
  value: unknown,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const n = safeInteger(op, name, value)
  if (n < 0 || n > max) throw invalid(op, `${name} must be in 0..${max}, got ${n}`, { [name]: value })
  return n
}

export function positiveInteger(op: string, name: string, value: unknown): number {
  const n = safeInteger(op, name, value)
  if (n < 1) throw invalid(op, `${name} must be ≥ 1, got ${n}`, { [name]: value })
  return n
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
  return value === undefined ? 100 : positiveInteger(op, 'count', value)
}
