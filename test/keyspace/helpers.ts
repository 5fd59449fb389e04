import type { BatchOptions, CallOptions, Command, Reply } from '../../src/common/types.js'
import type { EntryDeclarations, Keyspace } from '../../src/keyspace/define.js'
import type { TypedExecutor } from '../../src/ops/context.js'

export { callsBetween, commandCalls } from '../support/commandstats.js'
export { codeOf } from '../support/errors.js'

/** Counts of each command in a plan's list. */
export function countCommands(commands: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const c of commands) out[c] = (out[c] ?? 0) + 1
  return out
}

/** An executor that counts round trips: one per call(), one per batch(). */
export class CountingExecutor implements TypedExecutor {
  roundTrips = 0
  constructor(private readonly inner: TypedExecutor) {}
  call<T extends Reply = Reply>(command: Command, options?: CallOptions): Promise<T> {
    this.roundTrips++
    return this.inner.call<T>(command, options)
  }
  batch(commands: readonly Command[], options?: BatchOptions): Promise<Reply[]> {
    this.roundTrips++
    return this.inner.batch(commands, options)
  }
  declare<E extends EntryDeclarations>(keyspace: Keyspace<string, E>): void {
    this.inner.declare?.(keyspace)
  }
}
