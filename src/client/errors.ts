import { ErrorReply } from 'redis'
import { RedisExpertError } from '../errors.js'
import { argText } from './command-info.js'
import { ReplyError } from './resp.js'
import type { Command } from './types.js'

/** The error a Redis error reply becomes: its first word (WRONGTYPE, NOPERM, ...) kept as `redisCode`. */
export function commandError(reply: string, command: Command, cause?: unknown): RedisExpertError {
  const name = argText(command[0]).toUpperCase()
  const redisCode = /^[A-Z]+/.exec(reply)?.[0] ?? 'ERR'
  return new RedisExpertError('COMMAND_ERROR', `${name} failed: ${reply}`, {
    cause,
    details: { command: name, redisCode, reply },
  })
}

/** Classifies a driver failure for `command`. Messages never carry arguments beyond the command name. */
export function translateError(error: unknown, command: Command, overdue: boolean): RedisExpertError {
  if (error instanceof RedisExpertError) return error
  const name = argText(command[0]).toUpperCase()
  if (error instanceof ErrorReply || error instanceof ReplyError)
    return commandError(error.message, command, error)
  if (overdue)
    return new RedisExpertError('COMMAND_TIMEOUT', `${name} got no reply within its timeout`, {
      cause: error,
      details: { command: name },
    })
  // Both drivers (node-redis and the builtin RespDriver) name these classes alike.
  const kind = error instanceof Error ? error.constructor.name : ''
  if (kind === 'ClientClosedError')
    return new RedisExpertError('CONNECTION_CLOSED', `${name}: the client is closed`, { cause: error })
  if (kind === 'ClientOfflineError')
    return new RedisExpertError('CONNECTION_UNAVAILABLE', `${name}: not connected to Redis`, { cause: error })
  // Sent, but the connection dropped before the reply: the command may or may not have run.
  return new RedisExpertError(
    'CONNECTION_LOST',
    `${name}: the connection was lost before the reply; the command may or may not have been applied`,
    { cause: error, details: { command: name } },
  )
}

/** Removes a secret from a message, wherever the driver may have echoed it. */
export function scrub(message: string, secret: string | undefined): string {
  return secret ? message.split(secret).join('***') : message
}
