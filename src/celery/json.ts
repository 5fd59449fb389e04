import { invalidArgument } from '../errors.js'

/** What travels in a Celery JSON message or result: Python's json module reads exactly these. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue }

const MAX_DEPTH = 100

/**
 * INVALID_ARGUMENT unless `value` survives JSON unchanged: JSON.stringify would silently drop
 * `undefined` and functions, turn NaN into null and a Map into {}, and throw on a BigInt; a
 * task's arguments must reach Python exactly as given.
 */
export function assertJson(what: string, value: unknown, depth = 0): asserts value is JsonValue {
  if (depth > MAX_DEPTH) throw invalidArgument(`${what} is nested deeper than ${MAX_DEPTH} levels`)
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw invalidArgument(`${what} is ${value}: JSON has no such number`)
    return
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) assertJson(`${what}[${i}]`, value[i], depth + 1)
    return
  }
  if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value)
    if (proto !== Object.prototype && proto !== null)
      throw invalidArgument(
        `${what} is a ${proto?.constructor?.name ?? 'class instance'}: only plain objects travel as JSON`,
      )
    for (const [key, inner] of Object.entries(value)) assertJson(`${what}.${key}`, inner, depth + 1)
    return
  }
  throw invalidArgument(
    `${what} is ${typeof value === 'undefined' ? 'undefined' : `a ${typeof value}`}: not JSON`,
  )
}
