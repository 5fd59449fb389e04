import type { Command, Reply } from '../common/types.js'
import type { Connection } from './connection.js'
import { translateError } from './errors.js'
import type { GuardGate } from './gate.js'
import { wireArgs } from './wire.js'

/** What `isolated()` lends: one dedicated connection whose commands the guard still checks. */
export interface HeldConnection {
  /** WATCH `keys` on this connection (the keys join the EXEC batch's guard check). */
  watch(keys: readonly string[]): Promise<void>
  /** One command, now, on this connection. */
  call<T extends Reply = Reply>(command: Command): Promise<T>
  /** MULTI … EXEC of `commands`; null when EXEC was aborted because a watched key changed. */
  exec(commands: readonly Command[]): Promise<Reply[] | null>
}

/**
 * `connection`, lent by `db.isolated()` (client.ts): every command sent on it passes the guard,
 * the WATCHed keys included with the EXEC batch as one atomic unit.
 */
export function holdConnection(connection: Connection, gate: GuardGate): HeldConnection {
  let watch: Command | undefined
  const send = async (command: Command): Promise<Reply> => {
    try {
      return await connection.send(wireArgs(command))
    } catch (error) {
      throw translateError(error, command, false)
    }
  }
  return {
    watch: async (keys) => {
      watch = ['WATCH', ...keys]
      await send(watch)
    },
    // async: a refusal by the guard rejects the promise, as db.call's does, rather than throwing.
    call: async <R extends Reply = Reply>(command: Command) =>
      (await send(gate.active ? gate.command(command) : command)) as R,
    exec: async (commands) => {
      const unit = watch === undefined ? [...commands] : [watch, ...commands]
      const checked = gate.active ? gate.batch(unit, true) : unit
      if (watch !== undefined) checked.shift()
      try {
        return await connection.transaction(checked.map(wireArgs))
      } catch (error) {
        throw translateError(error, ['EXEC'], false)
      }
    },
  }
}
