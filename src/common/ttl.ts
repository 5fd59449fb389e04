import { RedisExpertError } from '../errors.js'

/** A TTL as declared: `'10m'`, `'1.5h'`, milliseconds as a number, or `'persistent'`. */
export type TtlSpec = number | `${number}${TtlUnit}` | 'persistent'
/** The unit of a TTL written as text: `'90s'`, `'10m'`, `'7d'`. */
export type TtlUnit = 'ms' | 's' | 'm' | 'h' | 'd' | 'w'

const UNIT_MS: Readonly<Record<TtlUnit, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
}

/**
 * The largest TTL the toolkit accepts anywhere — in a declaration and, through the guard, in any
 * command (EXPIRE, SET .. PX, SETEX, GETEX, RESTORE, and their absolute forms measured from now):
 * 10 years (3650 days). Beyond that the intent is "persistent" — declare it so — or a mistake
 * (PX 9000000000000000 is ~285 000 years).
 */
export const MAX_TTL_MS = 10 * 365 * 86_400_000

/**
 * Milliseconds, or null for `'persistent'`. Throws KEYSPACE_INVALID for anything else,
 * including zero, negatives and fractions of a millisecond.
 */
export function parseTtl(spec: unknown, entry: string): number | null {
  if (spec === 'persistent') return null
  let ms: number | undefined
  if (typeof spec === 'number') ms = spec
  else if (typeof spec === 'string') {
    const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/.exec(spec)
    if (match) ms = Number(match[1]) * UNIT_MS[match[2] as TtlUnit]
  }
  if (ms === undefined || !Number.isInteger(ms) || ms < 1 || ms > MAX_TTL_MS) {
    throw new RedisExpertError(
      'KEYSPACE_INVALID',
      `entry '${entry}': ttl ${JSON.stringify(spec)} is not a TTL; use e.g. '10m', '30d', a whole number of milliseconds ≥ 1, or 'persistent'`,
      { details: { entry, ttl: spec } },
    )
  }
  return ms
}

/**
 * The TTL of one write: uniform in ttl·(1 ± jitter), rounded to whole milliseconds and never
 * below 1. Jitter spreads the expiry of keys written together so that they do not all miss at
 * the same instant (a stampede on the source).
 */
export function jitteredTtl(ttlMs: number, jitter: number, random: () => number = Math.random): number {
  if (jitter === 0) return ttlMs
  return Math.max(1, Math.round(ttlMs * (1 + jitter * (2 * random() - 1))))
}

/** `'10m'`-style text for tables: the largest unit up to days that divides the TTL exactly. */
export function formatTtl(ttlMs: number | null): string {
  if (ttlMs === null) return 'persistent'
  // Weeks are accepted on input but not printed: '7d' and '14d' read better than '1w', '2w'.
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    if (ttlMs % UNIT_MS[unit] === 0) return `${ttlMs / UNIT_MS[unit]}${unit}`
  }
  return `${ttlMs}ms`
}
