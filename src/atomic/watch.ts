import { setTimeout as sleep } from 'node:timers/promises'
import type { Client, HeldConnection } from '../client/client.js'
import type { Command, Reply } from '../common/types.js'
import { positiveInt, strictOptions } from '../common/validate.js'
import { invalidArgument, RedisExpertError } from '../errors.js'

/** How `db.watch` retries an optimistic transaction that lost a race (WATCH saw the key change). */
export interface WatchOptions {
  /** How many times to run the transaction before TX_CONFLICT, default 10. */
  readonly attempts?: number
  /** First backoff after a conflict, doubling, jittered; default 2 ms. */
  readonly baseDelayMs?: number
  /** Backoff cap, default 100 ms. */
  readonly maxDelayMs?: number
}

/** What the transaction function sees: reads on the watched connection, writes queued for EXEC. */
export interface Transaction {
  /** A read (or any command) run now, on the connection holding the WATCH. */
  call<T extends Reply = Reply>(command: Command): Promise<T>
  /** A command for the MULTI/EXEC that runs when the function returns. */
  queue(command: Command): void
  /** Which attempt this is, from 1. */
  readonly attempt: number
}

/**
 * Optimistic transaction: WATCH the keys, run `fn` (reads see the current values), then
 * MULTI/EXEC what it queued. If another client wrote a watched key in between, EXEC is
 * aborted by the server and the whole attempt runs again after a jittered backoff; after
 * the last attempt, TX_CONFLICT. Costs 2 + (reads) round trips per attempt: WATCH, the
 * reads, and MULTI…EXEC in one.
 */
export async function runWatch<T>(
  db: Pick<Client, 'isolated'>,
  keys: readonly string[],
  fn: (tx: Transaction) => Promise<T>,
  options: WatchOptions = {},
): Promise<T> {
  if (!Array.isArray(keys) || keys.length === 0 || keys.some((k) => typeof k !== 'string' || k === ''))
    throw invalidArgument('watch() takes a non-empty array of keys')
  if (typeof fn !== 'function') throw invalidArgument('watch() takes a transaction function')
  strictOptions('watch options', options, ['attempts', 'baseDelayMs', 'maxDelayMs'])
  const attempts = positiveInt('attempts', options.attempts, 10)
  const base = options.baseDelayMs ?? 2
  const cap = options.maxDelayMs ?? 100

  for (let attempt = 1; attempt <= attempts; attempt++) {
    const outcome = await db.isolated(keys[0], (connection) => once(connection, keys, fn, attempt))
    if (outcome.committed) return outcome.value
    if (attempt < attempts)
      await sleep(Math.round(Math.min(cap, base * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2)))
  }
  throw new RedisExpertError(
    'TX_CONFLICT',
    `watched keys kept changing: gave up after ${attempts} attempts`,
    {
      details: { keys: [...keys], attempts },
    },
  )
}

async function once<T>(
  connection: HeldConnection,
  keys: readonly string[],
  fn: (tx: Transaction) => Promise<T>,
  attempt: number,
): Promise<{ committed: true; value: T } | { committed: false }> {
  await connection.watch(keys)
  const queued: Command[] = []
  const tx: Transaction = {
    attempt,
    call: <R extends Reply = Reply>(command: Command) => connection.call<R>(command),
    queue(command) {
      if (!Array.isArray(command) || command.length === 0)
        throw invalidArgument('queue() takes a command array')
      queued.push(command)
    },
  }
  const value = await fn(tx)
  if (queued.length === 0) return { committed: true, value }
  const replies = await connection.exec(queued)
  return replies === null ? { committed: false } : { committed: true, value }
}
