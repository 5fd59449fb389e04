import type { Command } from '../common/types.js'
import { RedisExpertError } from '../errors.js'
import { argText } from './command-info.js'
import { ReplyError } from './resp-parser.js'

/** The error a Redis error reply becomes: its first word (WRONGTYPE, NOPERM, MOVED...) kept as `redisCode`. */
export function commandError(reply: string, command: Command, cause?: unknown): RedisExpertError {
  const name = argText(command[0]).toUpperCase()
  const redisCode = /^[A-Z]+/.exec(reply)?.[0] ?? 'ERR'
  return new RedisExpertError('COMMAND_ERROR', `${name} failed: ${reply}`, {
    cause,
    details: { command: name, redisCode, reply },
  })
}

/**
 * Any failure as a typed error for `command`. Connections type their failures at the source
 * (see connection.ts), so this only wraps what is not yet a RedisExpertError. Messages never
 * carry arguments beyond the command name.
 */
export function translateError(error: unknown, command: Command, overdue: boolean): RedisExpertError {
  if (error instanceof RedisExpertError) return error
  const name = argText(command[0]).toUpperCase()
  if (error instanceof ReplyError) return commandError(error.message, command, error)
  if (overdue)
    return new RedisExpertError('COMMAND_TIMEOUT', `${name} got no reply within its timeout`, {
      cause: error,
      details: { command: name },
    })
  return new RedisExpertError(
    'CONNECTION_LOST',
    `${name}: the connection was lost before the reply; the command may or may not have been applied`,
    { cause: error, details: { command: name } },
  )
}
