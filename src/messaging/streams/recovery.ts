import type { Client } from '../../client/client.js'
import type { Reply } from '../../common/types.js'
import { RedisExpertError } from '../../errors.js'
import { parseEntries, type RawEntry, text } from '../../kit/stream-entries.js'
import { DEAD_LETTER, FAIL, PRUNE, RECLAIM, RENEW } from './scripts.js'

/** A failed entry's failure count lives this long after its last failure. */
const FAILURES_TTL_MS = 7 * 86_400_000

/** The keys and names one consumer's recovery works on. */
export interface RecoveryTarget {
  readonly db: Client
  readonly key: string
  readonly deadKey: string
  readonly failuresKey: string
  readonly group: string
  readonly consumer: string
  readonly binary: boolean
  readonly deadMaxLen: number
}

export interface Reclaimed {
  readonly entry: RawEntry
  readonly deliveries: number
  readonly failures: number
  readonly stalls: number
}

/** XGROUP CREATE .. MKSTREAM; BUSYGROUP (the group exists: every worker but the first) is fine. */
export async function createGroup(t: RecoveryTarget, startId: string): Promise<void> {
  try {
    await t.db.call(['XGROUP', 'CREATE', t.key, t.group, startId, 'MKSTREAM'])
  } catch (error) {
    if (!(error instanceof RedisExpertError) || error.details.redisCode !== 'BUSYGROUP') throw error
  }
}

/** One recovery pass (reclaim.lua): claims up to `count` stale entries, dead-letters exhausted ones. */
export async function reclaimPass(
  t: RecoveryTarget,
  pass: {
    readonly cursor: string
    readonly count: number
    readonly minIdleMs: number
    readonly maxDeliveries: number
    readonly maxStalls: number
  },
): Promise<{ cursor: string; claimed: Reclaimed[]; dead: number }> {
  const reply = (await RECLAIM.run(
    t.db,
    { stream: t.key, dead: t.deadKey, failures: t.failuresKey },
    {
      group: t.group,
      consumer: t.consumer,
      minIdleMs: pass.minIdleMs,
      cursor: pass.cursor,
      count: pass.count,
      maxDeliveries: pass.maxDeliveries,
      deadMaxLen: t.deadMaxLen,
      maxStalls: pass.maxStalls,
    },
    { buffers: t.binary },
  )) as Reply[]
  const claimed: Reclaimed[] = []
  for (const item of Array.isArray(reply[1]) ? reply[1] : []) {
    if (!Array.isArray(item)) continue
    const [entry] = parseEntries([item])
    if (entry)
      claimed.push({ entry, deliveries: Number(item[2]), failures: Number(item[3]), stalls: Number(item[4]) })
  }
  return { cursor: text(reply[0]), claimed, dead: Number(reply[2] ?? 0) }
}

/** Moves the entry to the dead-letter stream and acknowledges it (if still this consumer's). */
export async function deadLetter(t: RecoveryTarget, id: string, error: unknown): Promise<boolean> {
  const moved = await DEAD_LETTER.run(
    t.db,
    { stream: t.key, dead: t.deadKey, failures: t.failuresKey },
    {
      group: t.group,
      consumer: t.consumer,
      id,
      error: error instanceof Error ? error.message : String(error),
      deadMaxLen: t.deadMaxLen,
    },
  )
  return moved !== null
}

/**
 * Counts a handler failure and leaves the entry to be claimed again after the retry delay — if
 * the entry is still this consumer's (fail.lua): one another consumer reclaimed is left to it.
 */
export async function failLater(t: RecoveryTarget, id: string, idleMs: number): Promise<void> {
  await FAIL.run(
    t.db,
    { stream: t.key, failures: t.failuresKey },
    { group: t.group, consumer: t.consumer, id, idleMs, ttlMs: FAILURES_TTL_MS },
  )
}

/** An entry that had failed before was acknowledged: its failure count goes. */
export async function forgetFailures(t: RecoveryTarget, id: string): Promise<void> {
  await t.db.call(['HDEL', t.failuresKey, `${id}|${t.group}`])
}

/**
 * Resets the idle time of entries still being handled, so that a live consumer keeps what it
 * holds — what it still owns only (renew.lua). Returns the ids another consumer claimed meanwhile
 * (or that were acknowledged): they are no longer this consumer's to renew.
 */
export async function renewIds(t: RecoveryTarget, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return []
  const command = RENEW.command(
    { stream: t.key },
    { group: t.group, consumer: t.consumer, count: ids.length },
    ids,
  )
  const gone = await RENEW.runCommand(t.db, command)
  return Array.isArray(gone) ? gone.map((id) => text(id)) : []
}

/** Removes consumers idle longer than `idleMs` with nothing pending (never this one). */
export async function pruneConsumers(t: RecoveryTarget, idleMs: number): Promise<string[]> {
  const reply = await PRUNE.run(t.db, { stream: t.key }, { group: t.group, idleMs, consumer: t.consumer })
  return Array.isArray(reply) ? reply.map((name) => text(name)) : []
}
