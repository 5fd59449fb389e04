import type { Client } from '../client/client.js'
import {
  celeryBatch,
  celeryCall,
  celeryUnsafe,
  DEAD_LETTER_PREFIX,
  resultKey,
  UNACKED,
  UNACKED_INDEX,
} from './keys.js'
import { deliveryTagOf, type IncomingTask } from './message.js'
import { FINISH } from './scripts.js'

/** Stores the outcome and acks, in one script (FINISH): the result lands if and only if the ack does. */
export async function finishTask(
  db: Client,
  task: IncomingTask,
  meta: string,
  ttlSeconds: number,
): Promise<void> {
  await celeryUnsafe(db, (raw) =>
    FINISH.run(
      raw,
      { result: resultKey(task.id), unacked: UNACKED, unackedIndex: UNACKED_INDEX },
      { meta, ttlSeconds, tag: task.deliveryTag, store: task.ignoreResult ? '0' : '1' },
    ),
  )
}

/** An undecodable message leaves `unacked` for the queue's dead-letter list, atomically. */
export async function deadLetterMessage(db: Client, raw: string, queue: string): Promise<void> {
  const tag = deliveryTagOf(raw) ?? ''
  await celeryBatch(
    db,
    [
      ['ZREM', UNACKED_INDEX, tag],
      ['HDEL', UNACKED, tag],
      ['LPUSH', `${DEAD_LETTER_PREFIX}${queue}`, raw],
    ],
    { atomic: true },
  )
}

/**
 * Keeps held messages visible: their `unacked_index` score is the time taken, and a restorer
 * (a worker's, ours or Python's restore_visible) puts back any older than the visibility
 * timeout. A task that runs (or waits for its eta) longer than that must not run twice. XX: a
 * message acked or restored meanwhile is not added back. One round trip for all held messages.
 * The score is this process's clock, as kombu's (Python reads and writes the same index).
 */
export async function touchTags(db: Client, tags: Iterable<string>): Promise<void> {
  const now = Date.now() / 1000
  const command: (string | number)[] = ['ZADD', UNACKED_INDEX, 'XX']
  for (const tag of tags) command.push(now, tag)
  if (command.length > 3) await celeryCall(db, command)
}
