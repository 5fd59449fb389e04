import { RedisExpertError } from '../errors.js'
import type { Endpoint } from './endpoint.js'

/**
 * The vocabulary of `db.subscriber()` (subscriptions.ts): the port's types, and one
 * subscription — a kind and a name, everyone listening to it, and what is known of it on the
 * server. Shared by the port, its connections (subscriber-session.ts) and the placement of
 * sharded channels (shard-placement.ts).
 */
export type SubscriptionKind = 'channel' | 'pattern' | 'shard'

/** A message as received: the payload as bytes (any codec) and the channel it was published to. */
export type RawListener = (payload: Buffer, channel: string) => void

/** `db.subscriber()`: channels, patterns and sharded channels on dedicated connections (subscriptions.ts). */
export interface SubscriberPort {
  /** Resolves once the server confirmed the subscription; `listener` hears every message from then on. */
  subscribe(kind: SubscriptionKind, name: string, listener: RawListener): Promise<void>
  /** Stops `listener`; the last one gone, the server is told (resolves on its confirmation). */
  unsubscribe(kind: SubscriptionKind, name: string, listener: RawListener): Promise<void>
  /** `down`: messages published now are missed (pub/sub keeps nothing); `up`: resubscribed. */
  onStateChange(listener: (state: 'up' | 'down', error?: unknown) => void): void
  /** Drops every connection at once; subscribes still waiting fail with CONNECTION_CLOSED. */
  close(): Promise<void>
}

/** Where subscriptions go; a Topology (topology.ts) is one. */
export interface SubscriberTarget {
  /** A node for channels and patterns; `attempt` counts failures, to move on to another node. */
  locateNode(attempt: number): Endpoint | Promise<Endpoint>
  /** Cluster: the master that owns `slot` now; `refresh` reloads the slot map first. */
  endpointForSlot?(slot: number, refresh?: boolean): Promise<Endpoint | undefined>
}

export const VERBS = {
  channel: { on: 'SUBSCRIBE', off: 'UNSUBSCRIBE' },
  pattern: { on: 'PSUBSCRIBE', off: 'PUNSUBSCRIBE' },
  shard: { on: 'SSUBSCRIBE', off: 'SUNSUBSCRIBE' },
} as const

/** A subscribe call waiting for its subscription's confirmation. */
export interface Waiter {
  readonly listener: RawListener
  /** The listener was added by this subscribe call (and is removed again if it fails). */
  readonly added: boolean
  readonly resolve: () => void
  readonly reject: (error: unknown) => void
  readonly timer: NodeJS.Timeout
}

/** One subscription (kind + name) and everyone listening to it. */
export class Sub<S = unknown> {
  readonly kind: SubscriptionKind
  readonly name: string
  readonly key: string
  readonly listeners = new Set<RawListener>()
  /** The connection it is placed on (a Session, subscriber-session.ts); null while between two. */
  session: S | null = null
  /** Confirmed on its session's current connection. */
  confirmed = false
  /** Confirmed once: while it is not confirmed now, messages may be missed (`down`). */
  established = false
  /** Still subscribed by someone (false once dropped). */
  wanted = true
  /** Consecutive redirections or refusals since the last confirmation. */
  retries = 0
  waiters: Waiter[] = []

  constructor(kind: SubscriptionKind, name: string) {
    this.kind = kind
    this.name = name
    this.key = keyOf(kind, name)
  }
}

export function keyOf(kind: SubscriptionKind, name: string): string {
  return `${kind}:${name}`
}

/** The name as the server will echo it: what UTF-8 can carry (a lone surrogate becomes U+FFFD). */
export function wireName(name: string): string {
  return Buffer.from(name, 'utf8').toString('utf8')
}

export function checkArguments(
  method: string,
  kind: unknown,
  name: unknown,
  listener: unknown,
): RedisExpertError | null {
  if (kind !== 'channel' && kind !== 'pattern' && kind !== 'shard')
    return new RedisExpertError('INVALID_ARGUMENT', `${method}: kind must be 'channel', 'pattern' or 'shard'`)
  if (typeof name !== 'string' || name === '')
    return new RedisExpertError('INVALID_ARGUMENT', `${method}: the name must be a non-empty string`)
  if (typeof listener !== 'function')
    return new RedisExpertError('INVALID_ARGUMENT', `${method}: the listener must be a function`)
  return null
}

export function closedError(command: string): RedisExpertError {
  return new RedisExpertError('CONNECTION_CLOSED', `${command}: the subscriber is closed`, {
    details: { command },
  })
}
