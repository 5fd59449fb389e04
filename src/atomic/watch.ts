import { setTimeout as sleep } from 'node:timers/promises'
import type { IsolatedConnection } from '../client/topology.js'
import type { Command, Reply } from '../common/types.js'
import { strictOptions } from '../common/validate.js'
import { invalidArgument, RedisExpertError } from '../errors.js'

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

export interface WatchEdge {
  isolated<T>(firstKey: string | undefined, fn: (connection: IsolatedConnection) => Promise<T>): Promise<T>
  /** The guard on a single command (may rewrite it); throws in strict mode. */
  checkCommand(command: Command): Command
  /** The guard on the EXEC batch, WATCH keys included, as one atomic unit. */
  checkTransaction(commands: readonly Command[]): Command[]
  /** Driver error → typed error. */
  translate(error: unknown, command: Command): unknown
  wire(command: Command): (string | Buffer)[]
}

/**
 * Optimistic transaction: WATCH the keys, run `fn` (reads see the current values), then
 * MULTI/EXEC what it queued. If another client wrote a watched key in between, EXEC is
 * aborted by the server and the whole attempt runs again after a jittered backoff; after
 * the last attempt, TX_CONFLICT. Costs 2 + (reads) round trips per attempt: WATCH, the
 * reads, and MULTI…EXEC in one.
 */
export async function runWatch<T>(
  edge: WatchEdge,
  keys: readonly string[],
  fn: (tx: Transaction) => Promise<T>,
  options: WatchOptions = {},
): Promise<T> {
  if (!Array.isArray(keys) || keys.length === 0 || keys.some((k) => typeof k !== 'string' || k === ''))
    throw invalidArgument('watch() takes a non-empty array of keys')
  if (typeof fn !== 'function') throw invalidArgument('watch() takes a transaction function')
  strictOptions('watch options', options, ['attempts', 'baseDelayMs', 'maxDelayMs'])
  const attempts = options.attempts ?? 10
  if (!Number.isInteger(attempts) || attempts < 1)
    throw invalidArgument('attempts must be a positive integer')
  const base = options.baseDelayMs ?? 2
  const cap = options.maxDelayMs ?? 100

  for (let attempt = 1; attempt <= attempts; attempt++) {
    const outcome = await edge.isolated(keys[0], (connection) => once(edge, connection, keys, fn, attempt))
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
  edge: WatchEdge,
  connection: IsolatedConnection,
  keys: readonly string[],
  fn: (tx: Transaction) => Promise<T>,
  attempt: number,
): Promise<{ committed: true; value: T } | { committed: false }> {
  const watch: Command = ['WATCH', ...keys]
  await send(edge, connection, watch)
  const queued: Command[] = []
  const tx: Transaction = {
    attempt,
    call: <R extends Reply = Reply>(command: Command) =>
      send(edge, connection, edge.checkCommand(command)) as Promise<R>,
    queue(command) {
      if (!Array.isArray(command) || command.length === 0)
        throw invalidArgument('queue() takes a command array')
      queued.push(command)
    },
  }
  const value = await fn(tx)
  if (queued.length === 0) return { committed: true, value }
  const [, ...checked] = edge.checkTransaction([watch, ...queued])
  let replies: Reply[] | null
  try {
    replies = await connection.exec(checked.map((c) => edge.wire(c)))
  } catch (error) {
    throw edge.translate(error, ['EXEC'])
  }
  return replies === null ? { committed: false } : { committed: true, value }
}

async function send(edge: WatchEdge, connection: IsolatedConnection, command: Command): Promise<Reply> {
  try {
    return await connection.send(edge.wire(command))
  } catch (error) {
    throw edge.translate(error, command)
  }
}
