import type { RedisArg } from '../common/types.js'
import { RedisExpertError } from '../errors.js'
import { argText } from './command-info.js'

/**
 * Which commands may run on the shared connection. It is multiplexed: many callers' commands
 * are in flight on it at once and replies are matched to callers by order alone. A command
 * that changes what the connection is (its database, its reply mode, a transaction, a
 * subscription) or holds it (a blocking read) would hand callers each other's replies or
 * stall them all — so those never reach it:
 *
 * - connection-state commands are refused with CONNECTION_STATE, naming the API that does the
 *   same thing safely;
 * - blocking commands run on a dedicated connection from a small pool (see dedicated.ts).
 */
export type SharedUse =
  | { readonly kind: 'shared' }
  | { readonly kind: 'blocking'; readonly blockMs: number }
  | { readonly kind: 'refused'; readonly error: RedisExpertError }

const SHARED: SharedUse = { kind: 'shared' }

/** Connection-state commands → what to use instead. */
const STATE: ReadonlyMap<string, string> = new Map([
  ['MULTI', 'db.multi() or db.batch(commands, { atomic: true })'],
  ['EXEC', 'db.multi() or db.batch(commands, { atomic: true })'],
  ['DISCARD', 'db.multi() or db.batch(commands, { atomic: true })'],
  ['WATCH', 'db.watch(keys, fn)'],
  ['UNWATCH', 'db.watch(keys, fn)'],
  ['SELECT', 'connect({ database }) or a database in the URL (redis://host:port/1)'],
  ['SWAPDB', 'connect({ database }) per database'],
  ['HELLO', 'connect({ username, password, clientName })'],
  ['AUTH', 'connect({ username, password })'],
  ['RESET', 'db.close() and connect() again'],
  ['QUIT', 'db.close()'],
  ['SUBSCRIBE', 'db.subscriber() (or db.subscribe(channel, handlers))'],
  ['PSUBSCRIBE', 'db.subscriber()'],
  ['SSUBSCRIBE', 'db.subscriber()'],
  ['UNSUBSCRIBE', 'db.subscriber()'],
  ['PUNSUBSCRIBE', 'db.subscriber()'],
  ['SUNSUBSCRIBE', 'db.subscriber()'],
  ['MONITOR', 'redis-cli monitor on a test server (MONITOR is also a hard stop)'],
  ['READONLY', 'connect({ cluster: { useReplicas: true } })'],
  ['READWRITE', 'connect({ cluster: { useReplicas: false } })'],
  ['ASKING', 'nothing: the Cluster client follows ASK redirections itself'],
])

/** CLIENT subcommands that change the connection. */
const CLIENT_STATE: ReadonlyMap<string, string> = new Map([
  ['REPLY', 'nothing: every command on the shared connection must be answered'],
  ['TRACKING', 'createCache(db, entry, { l1 }) for a coherent in-process cache'],
])

/** Blocking commands → index of their timeout argument (negative: from the end) and its unit. */
const BLOCKING: ReadonlyMap<string, { readonly at: number; readonly unit: 's' | 'ms' }> = new Map([
  ['BLPOP', { at: -1, unit: 's' }],
  ['BRPOP', { at: -1, unit: 's' }],
  ['BRPOPLPUSH', { at: -1, unit: 's' }],
  ['BLMOVE', { at: -1, unit: 's' }],
  ['BZPOPMIN', { at: -1, unit: 's' }],
  ['BZPOPMAX', { at: -1, unit: 's' }],
  ['BLMPOP', { at: 1, unit: 's' }],
  ['BZMPOP', { at: 1, unit: 's' }],
  ['WAIT', { at: 2, unit: 'ms' }],
  ['WAITAOF', { at: 3, unit: 'ms' }],
])

/** Where `command` may run. Cheap for the usual case: one map lookup per table. */
export function sharedUse(command: readonly RedisArg[]): SharedUse {
  const first = command[0]
  let name = typeof first === 'string' ? first : argText(first)
  if (
    !STATE.has(name) &&
    !BLOCKING.has(name) &&
    name !== 'CLIENT' &&
    name !== 'XREAD' &&
    name !== 'XREADGROUP'
  ) {
    const upper = name.toUpperCase()
    if (upper === name) return SHARED
    name = upper
  }
  const instead = STATE.get(name)
  if (instead !== undefined) return refused(name, instead)
  if (name === 'CLIENT') {
    const sub = argText(command[1]).toUpperCase()
    const use = CLIENT_STATE.get(sub)
    return use === undefined ? SHARED : refused(`CLIENT ${sub}`, use)
  }
  if (name === 'XREAD' || name === 'XREADGROUP') return xreadUse(command)
  const blocking = BLOCKING.get(name)
  if (blocking === undefined) return SHARED
  const at = blocking.at < 0 ? command.length + blocking.at : blocking.at
  const value = Number(argText(command[at]))
  const blockMs = Number.isFinite(value) && value > 0 ? (blocking.unit === 's' ? value * 1000 : value) : 0
  return { kind: 'blocking', blockMs }
}

/** XREAD / XREADGROUP block only with a BLOCK option, which comes before STREAMS. */
function xreadUse(command: readonly RedisArg[]): SharedUse {
  for (let i = 1; i < command.length; i++) {
    const word = argText(command[i]).toUpperCase()
    if (word === 'STREAMS') break
    if (word === 'BLOCK') {
      const ms = Number(argText(command[i + 1]))
      return { kind: 'blocking', blockMs: Number.isFinite(ms) && ms > 0 ? ms : 0 }
    }
  }
  return SHARED
}

function refused(name: string, instead: string): SharedUse {
  return {
    kind: 'refused',
    error: new RedisExpertError(
      'CONNECTION_STATE',
      `${name} changes the state of the shared connection, which other callers' commands are multiplexed on (their replies would be mixed up or stalled): use ${instead}`,
      { details: { command: name, instead } },
    ),
  }
}

/** A batch may hold a blocking command (WAIT after writes): then the whole batch runs on a dedicated connection. */
export function batchUse(commands: readonly (readonly RedisArg[])[]): SharedUse {
  let blockMs = -1
  for (const command of commands) {
    const use = sharedUse(command)
    if (use.kind === 'refused') return use
    if (use.kind === 'blocking') blockMs = Math.max(blockMs, use.blockMs)
  }
  return blockMs < 0 ? SHARED : { kind: 'blocking', blockMs }
}
