import type { Client } from '../client/client.js'
import type { BatchOptions, CallOptions, Command, Reply } from '../common/types.js'

/**
 * Celery's key names, fixed by kombu's Redis transport and Celery's Redis result backend. They
 * cannot live under a keyspace namespace (`<namespace>:<pattern>`), since Python reads them by
 * these exact names, so Celery's commands run through `db.unsafe()` with the reason below.
 *
 * kombu/transport/redis.py: Channel.sep, keyprefix_queue, unacked_key, unacked_index_key,
 * PRIORITY_STEPS and _q_for_pri. celery/backends/base.py: task_keyprefix.
 */

/** kombu's separator in priority list names and binding entries (Channel.sep). */
export const SEP = '\x06\x16'
/** kombu's default priority steps: a message of priority p goes to the list of the step below or at p. */
export const PRIORITY_STEPS = [0, 3, 6, 9] as const
/**
 * kombu's hash of delivered, unacknowledged messages by delivery tag (restored after the visibility
 * timeout).
 */
export const UNACKED = 'unacked'
/** kombu's sorted set of unacknowledged delivery tags by delivery time. */
export const UNACKED_INDEX = 'unacked_index'
/** kombu's key prefix for a queue's routing bindings (`_kombu.binding.<queue>`). */
export const BINDING_PREFIX = '_kombu.binding.'
/** Celery's Redis result backend key prefix (`celery-task-meta-<task id>`). */
export const RESULT_PREFIX = 'celery-task-meta-'
/** Where a worker puts messages it cannot decode (kombu has no such list: it drops them). */
export const DEAD_LETTER_PREFIX = 'redis-expert:celery-dead:'

export const GUARD_REASON =
  "Celery interop: kombu and Celery's result backend fix these key names (queue lists, unacked, " +
  '_kombu.binding.*, celery-task-meta-*) outside any keyspace namespace; queue lists and the ' +
  "unacked bookkeeping carry no TTL by kombu's design, results carry result_expires"

/** The list a message of `priority` goes to: kombu's Channel._q_for_pri. */
export function priorityList(queue: string, priority: number): string {
  let step = 0
  for (const s of PRIORITY_STEPS) if (s <= priority) step = s
  return step === 0 ? queue : `${queue}${SEP}${step}`
}

/** The four lists of a queue in kombu's BRPOP order (highest priority, i.e. 0, first). */
export function queueLists(queue: string): readonly [string, string, string, string] {
  return [queue, `${queue}${SEP}3`, `${queue}${SEP}6`, `${queue}${SEP}9`]
}

/** kombu's binding entry for a queue bound to an exchange of its own name: `rk SEP pattern SEP queue`. */
export function bindingEntry(queue: string): string {
  return `${queue}${SEP}${SEP}${queue}`
}

/** The result backend key of a task id, where Celery's `AsyncResult.get()` reads it. */
export function resultKey(taskId: string): string {
  return `${RESULT_PREFIX}${taskId}`
}

/** One command on Celery's keys, with the guard's hard stops lifted for the reason above. */
export function celeryCall<T extends Reply = Reply>(
  db: Client,
  command: Command,
  options?: CallOptions,
): Promise<T> {
  return db.unsafe({ reason: GUARD_REASON }, (d) => d.call<T>(command, options))
}

export function celeryBatch(
  db: Client,
  commands: readonly Command[],
  options?: BatchOptions,
): Promise<Reply[]> {
  return db.unsafe({ reason: GUARD_REASON }, (d) => d.batch(commands, options))
}

/** Runs `fn` (a script run, typically) with the hard stops lifted for the reason above. */
export function celeryUnsafe<T>(db: Client, fn: (db: Client) => Promise<T>): Promise<T> {
  return db.unsafe({ reason: GUARD_REASON }, fn)
}
