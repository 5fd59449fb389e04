import type { Client } from '../client/client.js'
import {
  BINDING_PREFIX,
  celeryCall,
  celeryUnsafe,
  DEAD_LETTER_PREFIX,
  SEP,
  UNACKED,
  UNACKED_INDEX,
} from './keys.js'
import { redeliveredEnvelope } from './message.js'
import { RESTORE } from './scripts.js'

/** How many expired messages one pass restores at most (kombu's unacked_restore_limit is 10). */
const BATCH = 100

/**
 * Delivery tags taken longer ago than the visibility timeout: kombu's QoS.restore_visible reads
 * `ZREVRANGEBYSCORE unacked_index <now - visibility_timeout> 0`, bounded the same way. One round trip.
 */
export async function visibleTags(db: Client, visibilityMs: number): Promise<string[]> {
  const ceiling = (Date.now() - visibilityMs) / 1000
  const tags = await celeryCall<string[]>(db, [
    'ZREVRANGEBYSCORE',
    UNACKED_INDEX,
    ceiling,
    0,
    'LIMIT',
    0,
    BATCH,
  ])
  return tags
}

/**
 * Puts messages back on their queues, as kombu's restore_by_tag: the unacked entry is
 * `[envelope, exchange, routing key]`, the queue is the routing key for the default exchange
 * (kombu's _lookup of the anon exchange) or the queue bound to that routing key in
 * `_kombu.binding.<exchange>` for a direct one, and the envelope goes back marked redelivered.
 * Each restore is a compare-and-set script on the value read, so it is safe beside any other
 * restorer (kombu's WATCH/MULTI retries and then finds the entry gone). An entry that cannot be
 * read goes to the dead-letter list rather than being dropped. Round trips: one HMGET, then one
 * script per message. Resolves to how many were restored.
 */
export async function restoreTags(db: Client, tags: readonly string[]): Promise<number> {
  if (tags.length === 0) return 0
  const values = await celeryCall<(string | null)[]>(db, ['HMGET', UNACKED, ...tags])
  let restored = 0
  for (let i = 0; i < tags.length; i++) {
    const tag = tags[i]!
    const value = values[i] ?? null
    const target = value === null ? null : await targetOf(db, value)
    const list = target?.queue ?? `${DEAD_LETTER_PREFIX}unacked`
    const message = target?.message ?? value ?? ''
    const done = await celeryUnsafe(db, (d) =>
      RESTORE.run<number>(
        d,
        { unacked: UNACKED, unackedIndex: UNACKED_INDEX, list },
        // A missing value only drops the stale index entry (the script sees no hash field).
        { tag, expected: value ?? '', message },
      ),
    )
    if (done === 1 && target) restored++
  }
  return restored
}

async function targetOf(db: Client, value: string): Promise<{ queue: string; message: string } | null> {
  let parsed: unknown
  try {
    parsed = JSON.parse(value)
  } catch {
    return null
  }
  if (!Array.isArray(parsed) || typeof parsed[0] !== 'object' || parsed[0] === null) return null
  const [envelope, exchange, routingKey] = parsed as [Record<string, unknown>, unknown, unknown]
  if (typeof routingKey !== 'string' || routingKey === '') return null
  let queue = routingKey
  if (typeof exchange === 'string' && exchange !== '') {
    // A direct exchange: the queue bound with this routing key (binding sets hold a few entries).
    const bindings = await celeryCall<string[]>(db, ['SMEMBERS', `${BINDING_PREFIX}${exchange}`])
    const bound = bindings.map((b) => b.split(SEP)).find((parts) => parts[0] === routingKey && parts[2])
    if (bound) queue = bound[2]!
  }
  return { queue, message: redeliveredEnvelope(envelope) }
}
