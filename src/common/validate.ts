import { invalidArgument, type RedisExpertError } from '../errors.js'
import { parseTtl } from './ttl.js'

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

/*
 * The toolkit's integer checks, one argument order: what the value is (named in the error), the
 * value, a fallback for `undefined`, the upper bound. Anything else is INVALID_ARGUMENT naming
 * `what`; a caller that reports another code (a keyspace declaration's KEYSPACE_INVALID) rewraps it.
 */

/** An integer from 1 to `max` (2^31 by default: a timer's limit). */
export function positiveInt(what: string, value: unknown, fallback?: number, max = 2 ** 31): number {
  return integerIn(what, value, fallback, 1, max)
}

/** An integer from 0 to `max` (any safe integer by default). */
export function nonNegativeInt(
  what: string,
  value: unknown,
  fallback?: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  return integerIn(what, value, fallback, 0, max)
}

/** Any safe integer (within ±(2^53 − 1)), negative ones included. */
export function safeInt(what: string, value: unknown, fallback?: number): number {
  return integerIn(what, value, fallback, -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)
}

function integerIn(
  what: string,
  value: unknown,
  fallback: number | undefined,
  min: number,
  max: number,
): number {
  if (value === undefined && fallback !== undefined) return fallback
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max)
    throw invalidArgument(`${what} must be ${integerRange(min, max)}`, { [what]: value })
  return value
}

function integerRange(min: number, max: number): string {
  if (max !== Number.MAX_SAFE_INTEGER) return `an integer from ${min} to ${max}`
  return min === 1 ? 'a positive integer' : min === 0 ? 'a non-negative integer' : 'a safe integer'
}

/**
 * The features' one check that `value` is a client from connect(): structural (its call, batch,
 * declare and unsafe are functions), so nothing below the client imports the client class.
 * INVALID_ARGUMENT "<what> must be a client from connect()" otherwise.
 */
export function assertClient(value: unknown, what: string): void {
  const client = value as Record<string, unknown> | null | undefined
  if (
    typeof client?.call !== 'function' ||
    typeof client.batch !== 'function' ||
    typeof client.declare !== 'function' ||
    typeof client.unsafe !== 'function'
  )
    throw invalidArgument(`${what} must be a client from connect()`)
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

/**
 * An options object whose keys must all be known: a misspelt option (`jobTimeoutMs` for
 * `timeoutMs`, `commandTimeout` for `commandTimeoutMs`, `ttl` for `leaseMs`) would otherwise be
 * ignored and its default used in silence. INVALID_ARGUMENT names the unknown key and the closest
 * known one. The one check of the whole public API: connect(), call/batch options, keyspace
 * declarations, the cache, the structures, messaging, the queue, the audit, the test launcher.
 * `undefined` is an empty options object; anything but a plain object is refused.
 */
export function strictOptions(
  what: string,
  value: unknown,
  known: readonly string[] | ReadonlySet<string>,
  hints: Readonly<Record<string, readonly [name: string, where: string]>> = {},
): Record<string, unknown> {
  const o = plainOptions(what, value)
  // for-in, not Object.keys: no array per call (db.call's options pass here on the hot path).
  for (const key in o) {
    if (isKnown(known, key)) continue
    throw unknownOption(what, key, known, hints)
  }
  return o
}

function isKnown(known: readonly string[] | ReadonlySet<string>, key: string): boolean {
  return Array.isArray(known) ? known.includes(key) : (known as ReadonlySet<string>).has(key)
}

/** The INVALID_ARGUMENT of an unknown option: its name, the closest known name, every known name. */
export function unknownOption(
  what: string,
  key: string,
  knownNames: readonly string[] | ReadonlySet<string>,
  hints: Readonly<Record<string, readonly [name: string, where: string]>> = {},
): RedisExpertError {
  const known = [...knownNames]
  // A name from another library (BullMQ's lockDuration) or another options object maps to ours.
  const hint = Object.hasOwn(hints, key) ? hints[key] : undefined
  const closest = hint ? hint[0] : closestName(key, known)
  const where = hint ? ` (${hint[1]})` : ''
  return invalidArgument(
    `${what}: unknown option '${key}'${closest ? ` — did you mean '${closest}'${where}?` : ''} (known: ${known.join(', ')})`,
    { option: key, closest, known },
  )
}

/** The known name nearest to `name` (edit distance, case-insensitive; a known name inside it counts as near). */
export function closestName(name: string, known: readonly string[]): string | undefined {
  const a = name.toLowerCase()
  let best: string | undefined
  let bestScore = Number.POSITIVE_INFINITY
  for (const candidate of known) {
    const b = candidate.toLowerCase()
    let score = editDistance(a, b)
    if (b.length >= 4 && (a.includes(b) || b.includes(a)))
      score = Math.min(score, Math.abs(a.length - b.length) / 2)
    if (score < bestScore) {
      bestScore = score
      best = candidate
    }
  }
  return best
}

/** Optimal string alignment distance (Levenshtein with adjacent transpositions). */
function editDistance(a: string, b: string): number {
  const rows = a.length + 1
  const cols = b.length + 1
  const d: number[] = new Array(rows * cols).fill(0)
  for (let i = 0; i < rows; i++) d[i * cols] = i
  for (let j = 0; j < cols; j++) d[j] = j
  for (let i = 1; i < rows; i++)
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let v = Math.min(
        d[(i - 1) * cols + j]! + 1,
        d[i * cols + j - 1]! + 1,
        d[(i - 1) * cols + j - 1]! + cost,
      )
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, d[(i - 2) * cols + j - 2]! + 1)
      d[i * cols + j] = v
    }
  return d[rows * cols - 1]!
}

/**
 * The option names of an options interface, checked by the compiler to be all of them: a new
 * option that is not listed here does not compile.
 */
export function optionNames<T>(names: { readonly [K in keyof Required<T>]: true }): readonly string[] {
  return Object.freeze(Object.keys(names))
}
