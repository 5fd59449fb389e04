import type { Reply } from '../common/types.js'
import { RedisExpertError } from '../errors.js'

/** Reply shape checks: a reply of the wrong shape is a protocol surprise, reported, never guessed at. */

export function asInteger(reply: Reply, command: string): number {
  if (typeof reply === 'number') return reply
  throw unexpected(reply, command, 'an integer')
}

export function asArray(reply: Reply, command: string): Reply[] {
  if (Array.isArray(reply)) return reply
  throw unexpected(reply, command, 'an array')
}

/** A bulk string as text (Buffers are UTF-8 decoded): field names, ids, cursors, scores. */
export function asText(reply: Reply, command: string): string {
  if (typeof reply === 'string') return reply
  if (Buffer.isBuffer(reply)) return reply.toString('utf8')
  throw unexpected(reply, command, 'a bulk string')
}

/** A score as Redis prints it: a decimal, `inf` or `-inf`. */
export function asScore(reply: Reply, command: string): number {
  const text = asText(reply, command)
  if (text === 'inf' || text === '+inf') return Number.POSITIVE_INFINITY
  if (text === '-inf') return Number.NEGATIVE_INFINITY
  const score = Number(text)
  if (Number.isNaN(score)) throw unexpected(reply, command, 'a score')
  return score
}

function unexpected(reply: Reply, command: string, expected: string): RedisExpertError {
  const got = reply === null ? 'nil' : Array.isArray(reply) ? 'an array' : typeof reply
  return new RedisExpertError('COMMAND_ERROR', `${command}: expected ${expected} reply, got ${got}`, {
    details: { command },
  })
}
