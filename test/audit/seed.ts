import { randomUUID } from 'node:crypto'
import type { Command, RedisExpertClient } from '../../src/index.js'

/**
 * The keyspace every audit test seeds: each pattern is there for one finding (or to prove a
 * finding does not fire), so a test can assert the exact set the audit reports.
 */
export const SEED = {
  /** Numeric ids, hashes with a TTL: clean. */
  profiles: { pattern: 'user:<id>:profile', count: 300 },
  /** UUID ids, strings over 200 B with a TTL: clean (too big for hash-candidate). */
  sessions: { pattern: 'session:<uuid>', count: 200 },
  /** Date ids, small strings without TTL, fewer than 50: no-ttl (low), no hash-candidate. */
  events: { pattern: 'events:<date>:count', count: 30 },
  /** E-mail ids, hashes, 5 of 20 without TTL: no-ttl (medium, partial). */
  prefs: { pattern: 'user:<email>:prefs', count: 20, withoutTtl: 5 },
  /** One hash of 6,000 fields (> 5,000), with a TTL: big-key. */
  catalog: { pattern: 'catalog:products', fields: 6000 },
  /** A sorted set of 140 members, just past zset-max-listpack-entries (128): encoding. */
  leaderboard: { pattern: 'leaderboard:weekly', members: 140 },
  /** 50,000 small strings without TTL: hash-candidate and no-ttl (low). */
  visits: { pattern: 'visits:<id>', count: 50_000 },
  /** Keys in db 1: logical-databases. */
  legacy: { count: 10 },
} as const

export const SEEDED_KEYS =
  SEED.profiles.count + SEED.sessions.count + SEED.events.count + SEED.prefs.count + 1 + 1 + SEED.visits.count

const DAY = 86_400

/** Commands that create the db 0 keys of SEED (guard off: some keys are meant to lack a TTL). */
export function seedCommands(): Command[] {
  const commands: Command[] = []
  for (let id = 1; id <= SEED.profiles.count; id++) {
    const key = `user:${id}:profile`
    commands.push(['HSET', key, 'name', `User ${id}`, 'plan', 'pro', 'country', 'NL'], ['EXPIRE', key, 3600])
  }
  for (let i = 0; i < SEED.sessions.count; i++) {
    const value = JSON.stringify({ user: i, csrf: randomUUID(), cart: 'x'.repeat(220) })
    commands.push(['SET', `session:${randomUUID()}`, value, 'EX', 1800])
  }
  for (let day = 1; day <= SEED.events.count; day++) {
    commands.push(['SET', `events:2024-03-${String(day).padStart(2, '0')}:count`, String(day * 17)])
  }
  for (let i = 0; i < SEED.prefs.count; i++) {
    const key = `user:person${i}@example.com:prefs`
    commands.push(['HSET', key, 'theme', 'dark', 'lang', 'en'])
    if (i >= SEED.prefs.withoutTtl) commands.push(['EXPIRE', key, 7 * DAY])
  }
  for (let from = 0; from < SEED.catalog.fields; from += 500) {
    const fields: string[] = []
    for (let f = from; f < from + 500; f++) fields.push(`sku-${f}`, `{"price":${f},"stock":3}`)
    commands.push(['HSET', 'catalog:products', ...fields])
  }
  commands.push(['EXPIRE', 'catalog:products', DAY])
  for (let m = 0; m < SEED.leaderboard.members; m++)
    commands.push(['ZADD', 'leaderboard:weekly', m * 10, `player${m}`])
  commands.push(['EXPIRE', 'leaderboard:weekly', 7 * DAY])
  for (let id = 1; id <= SEED.visits.count; id++) commands.push(['SET', `visits:${id}`, String(id % 977)])
  return commands
}

/** Runs commands in pipelined chunks (one round trip per chunk). */
export async function pipelined(
  db: RedisExpertClient,
  commands: readonly Command[],
  chunk = 5000,
): Promise<void> {
  for (let i = 0; i < commands.length; i += chunk) await db.batch(commands.slice(i, i + chunk))
}

/** The same commands on a Cluster: each goes to its own slot's master, many in flight at once. */
export async function concurrently(
  db: RedisExpertClient,
  commands: readonly Command[],
  chunk = 5000,
): Promise<void> {
  for (let i = 0; i < commands.length; i += chunk)
    await Promise.all(commands.slice(i, i + chunk).map((c) => db.call(c)))
}

/** The (rule, severity, pattern) triples of a report, sorted, for exact comparison. */
export function findingKeys(
  findings: readonly { rule: string; severity: string; pattern?: string }[],
): string[] {
  return findings.map((f) => `${f.rule} ${f.severity} ${f.pattern ?? '-'}`).sort()
}
