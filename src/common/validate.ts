import { invalidArgument } from '../errors.js'
import { parseTtl } from '../keyspace/ttl.js'

/** A duration option: milliseconds or `'10s'`-style text (as TTLs are declared). */
export type Duration = number | `${number}${'ms' | 's' | 'm' | 'h' | 'd' | 'w'}`

/** Milliseconds of a duration option; INVALID_ARGUMENT names the option on anything else. */
export function durationMs(what: string, value: unknown, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback
  try {
    const ms = parseTtl(value, what)
    if (ms !== null) return ms
  } catch {
    // Reported below with the option's name rather than the keyspace's wording.
  }
  throw invalidArgument(
    `${what} must be a duration: a whole number of milliseconds ≥ 1 or '10s', '5m', '1d'`,
    {
      [what]: value,
    },
  )
}

export function positiveInt(what: string, value: unknown, fallback?: number, max = 2 ** 31): number {
  if (value === undefined && fallback !== undefined) return fallback
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > max)
    throw invalidArgument(`${what} must be an integer from 1 to ${max}`, { [what]: value })
  return value
}

/** Identifiers that become key parameters: non-empty strings or safe integers, at most 512 bytes. */
export function identifier(what: string, value: unknown): string {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value)
  if (typeof value !== 'string' || value === '' || Buffer.byteLength(value) > 512)
    throw invalidArgument(`${what} must be a non-empty string of at most 512 bytes (or a safe integer)`, {
      [what]: typeof value === 'string' ? value.slice(0, 100) : value,
    })
  return value
}

/** A name that becomes part of a keyspace namespace: letters, digits, - . _ and ':' inside. */
export function namespaceName(what: string, value: unknown, fallback: string): string {
  const name = value ?? fallback
  if (typeof name !== 'string' || !/^[A-Za-z0-9_.-]+(?::[A-Za-z0-9_.-]+)*$/.test(name))
    throw invalidArgument(
      `${what} must be letters, digits, - . _ (':' between parts), e.g. 'api' or 'app:login'`,
      {
        [what]: value,
      },
    )
  return name
}

export function oneOf<T extends string>(what: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value))
    throw invalidArgument(`${what} must be one of ${allowed.join(', ')}`, { [what]: value })
  return value as T
}

export function plainOptions(what: string, value: unknown): Record<string, unknown> {
  if (value === undefined) return {}
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalidArgument(`${what} must be an options object`)
  return value as Record<string, unknown>
}
