import type { Command, Reply } from '../common/types.js'
import { RedisExpertError } from '../errors.js'
import type { Connection } from './connection.js'
import { commandError, translateError } from './errors.js'
import { transactionOn } from './standalone.js'

/** node-redis's MultiErrorReply, recognised by shape: the class is not exported from every entry point. */
function isMultiError(error: unknown): error is Error & { replies: Error[]; errorIndexes: number[] } {
  return error instanceof Error && Array.isArray((error as { errorIndexes?: unknown }).errorIndexes)
}

/** Converts numbers to their decimal text; the driver takes strings and Buffers only. */
export function wireArgs(command: Command): (string | Buffer)[] {
  if (!Array.isArray(command) || command.length === 0)
    throw new RedisExpertError('INVALID_ARGUMENT', 'a command is a non-empty array such as ["GET", "key"]')
  for (let i = 0; i < command.length; i++) {
    const arg = command[i]
    if (typeof arg !== 'string' && !Buffer.isBuffer(arg)) return command.map(toWire)
  }
  return command as (string | Buffer)[]
}

function toWire(arg: unknown, index: number): string | Buffer {
  if (typeof arg === 'string' || Buffer.isBuffer(arg)) return arg
  if (typeof arg === 'number' && Number.isFinite(arg)) return String(arg)
  throw new RedisExpertError(
    'INVALID_ARGUMENT',
    `command argument ${index} must be a string, Buffer or finite number`,
    {
      details: { index, type: typeof arg },
    },
  )
}

/**
 * Runs a batch and settles its replies: a command that failed inside it (MULTI/EXEC or a
 * pipeline) is reported as that command's own COMMAND_ERROR, not as "EXEC failed".
 */
export async function settleBatch(
  commands: readonly Command[],
  send: () => Promise<Reply[]>,
  onTransportError: (error: unknown) => RedisExpertError,
): Promise<Reply[]> {
  let replies: Reply[]
  try {
    replies = await send()
  } catch (error) {
    if (isMultiError(error)) {
      const at = error.errorIndexes[0] ?? 0
      throw commandError(error.replies[at]?.message ?? error.message, commands[at] ?? ['EXEC'], error)
    }
    throw onTransportError(error)
  }
  const failed = replies.findIndex((reply) => (reply as unknown) instanceof Error)
  if (failed >= 0) {
    const error = replies[failed] as unknown as Error
    throw commandError(error.message, commands[failed] as Command, error)
  }
  return replies
}

/**
 * The replies of commands sent back to back (a pipeline), in order. On failure, waits for
 * every reply so that no command is left running unobserved, and reports the first failed
 * command (by position) through `onError`.
 */
export async function pipelineReplies(
  sends: readonly Promise<Reply>[],
  commands: readonly Command[],
  onError: (error: unknown, command: Command) => unknown,
): Promise<Reply[]> {
  try {
    return await Promise.all(sends)
  } catch {
    const settled = await Promise.allSettled(sends)
    const at = settled.findIndex((result) => result.status === 'rejected')
    throw onError((settled[at] as PromiseRejectedResult).reason, commands[at] as Command)
  }
}

/**
 * A batch on one connection the caller holds (a dedicated one: a write + WAIT, a pipeline with
 * a blocking command): MULTI/EXEC when `atomic`, else back to back; a failure is reported as
 * the failed command's own (`commands` as given, `checked` as the guard let them through).
 */
export function batchOn(
  connection: Connection,
  wire: readonly (readonly (string | Buffer)[])[],
  commands: readonly Command[],
  checked: readonly Command[],
  atomic: boolean,
  buffers: boolean,
  timeoutMs: number,
): Promise<Reply[]> {
  if (atomic)
    return settleBatch(
      commands,
      () => transactionOn(connection, wire, buffers, timeoutMs),
      (error) => translateError(error, ['MULTI'], false),
    )
  return pipelineReplies(connection.sendAll(wire, buffers, timeoutMs), checked, (error, command) =>
    translateError(error, command, false),
  )
}
