import { RedisExpertError } from '../errors.js'
import { argText } from './command-info.js'
import type { ParsedReply } from './resp-parser.js'

/**
 * What a Connection (connection.ts) says about replies and failures: which replies are pub/sub
 * pushes or Cluster redirections, and the typed errors its commands fail with. Pure.
 */

const PUSH_KINDS = new Set([
  'message',
  'pmessage',
  'smessage',
  'subscribe',
  'psubscribe',
  'ssubscribe',
  'unsubscribe',
  'punsubscribe',
  'sunsubscribe',
])

/** MOVED, ASK, TRYAGAIN, CLUSTERDOWN, LOADING: a Cluster's way to say "not here" or "not now". */
export function isRedirection(message: string): boolean {
  const c = message.charCodeAt(0)
  if (c === 0x4d) return message.startsWith('MOVED ')
  if (c === 0x41) return message.startsWith('ASK ')
  if (c === 0x54) return message.startsWith('TRYAGAIN')
  if (c === 0x43) return message.startsWith('CLUSTERDOWN')
  if (c === 0x4c) return message.startsWith('LOADING')
  return false
}

export function isPush(value: ParsedReply): boolean {
  return Array.isArray(value) && typeof value[0] === 'string' && PUSH_KINDS.has(value[0])
}

export function timedOut(name: string | Buffer | undefined): RedisExpertError {
  const command = argText(name ?? '?').toUpperCase()
  return new RedisExpertError('COMMAND_TIMEOUT', `${command} got no reply within its timeout`, {
    details: { command },
  })
}

export function lost(why: string, reason = 'lost'): RedisExpertError {
  return new RedisExpertError('CONNECTION_LOST', `${why}; the command may or may not have been applied`, {
    details: { reason },
  })
}

export function closedError(): RedisExpertError {
  return new RedisExpertError(
    'CONNECTION_LOST',
    'the connection was closed with the command in flight; it may or may not have been applied',
  )
}

/** The connection's failure, as this command's own (its name first). */
export function named(error: RedisExpertError, name: string | Buffer | undefined): RedisExpertError {
  const command = argText(name ?? '?').toUpperCase()
  return new RedisExpertError(error.code, `${command}: ${error.message}`, {
    cause: error,
    details: { ...error.details, command },
  })
}

export function reasonCode(reason: string): string {
  if (reason.startsWith('no answer')) return 'timeout'
  if (/ECONNREFUSED/.test(reason)) return 'refused'
  if (/WRONGPASS|NOAUTH|NOPERM|invalid password|AUTH/i.test(reason)) return 'auth'
  return 'error'
}
