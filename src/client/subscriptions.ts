import { RedisExpertError } from '../errors.js'
import type { Endpoint } from './endpoint.js'
import { commandError } from './errors.js'
import { tickFor } from './in-flight.js'
import { backoffDelay } from './link.js'
import type { ResolvedOptions } from './options.js'
import type { ReplyError } from './resp-parser.js'
import { ShardPlacement } from './shard-placement.js'
import { PING_EVERY_MS, type Session, type SessionHub, type SessionSettings } from './subscriber-session.js'
import {
  checkArguments,
  closedError,
  keyOf,
  type RawListener,
  Sub,
  type SubscriberPort,
  type SubscriberTarget,
  type SubscriptionKind,
  VERBS,
  type Waiter,
  wireName,
} from './subscription.js'

export type { RawListener, SubscriberPort, SubscriberTarget, SubscriptionKind } from './subscription.js'

type StateListener = (state: 'up' | 'down', error?: unknown) => void
type SessionSub = Sub<Session>

/**
 * `db.subscriber()`: dedicated pub/sub connections (a subscribed connection can run nothing
 * else) on the toolkit's own Connections (connection.ts). This file is the port: who listens
 * to what, what is confirmed, up/down; each connection is a Session (subscriber-session.ts),
 * and which connection a subscription goes on is shard-placement.ts's.
 *
 * - **Where.** Channels (SUBSCRIBE) and patterns (PSUBSCRIBE) go on one connection to any node
 *   (`locateNode`): on a Cluster, classic PUBLISH reaches every node. Sharded channels
 *   (SSUBSCRIBE) go, on a Cluster, on a connection to the master that owns each channel's slot
 *   (`endpointForSlot`); elsewhere on the same one connection.
 * - **Confirmed, or refused, within a bound.** One command per channel, so every command gets
 *   exactly one reply — its confirmation push or an error — in order: the commands written are
 *   a FIFO on each connection (PINGs included), and each reply is matched to its command.
 *   `subscribe()` resolves on the confirmation, rejects with COMMAND_ERROR (the server's code,
 *   e.g. NOPERM, in `details.redisCode`) on refusal, and with COMMAND_TIMEOUT or
 *   CONNECTION_UNAVAILABLE after connectTimeoutMs + commandTimeoutMs. `unsubscribe()` resolves
 *   on its confirmation (or when the connection is gone, which ends the subscription too).
 * - **Slot moves.** When a slot migrates, its former owner sends `sunsubscribe` for its
 *   channels: the channel is subscribed again on the same node, which answers MOVED with the
 *   new owner, where it goes (with backoff while the owners disagree). A MOVED answer to a first
 *   SSUBSCRIBE is followed the same way; a lost shard connection asks the (reloaded) slot map.
 * - **Exact up/down.** `down` as soon as a connection is lost or a command (or the PING sent
 *   every few seconds) goes unanswered past its deadline — a half-open socket or a stopped
 *   server is noticed; `up` once every subscription that was confirmed before is confirmed
 *   again. Reconnects: at once, then capped, jittered backoff (`reconnect`).
 * - **close()** settles at once: connections are dropped, pending subscribes fail with
 *   CONNECTION_CLOSED.
 * - Messages are delivered as Buffers (any codec) with the channel name.
 */
export async function openSubscriber(o: ResolvedOptions, target: SubscriberTarget): Promise<SubscriberPort> {
  const subscriber = new Subscriber(o, target)
  await subscriber.start()
  return subscriber
}

class Subscriber implements SubscriberPort, SessionHub {
  readonly #o: ResolvedOptions
  readonly settings: SessionSettings
  readonly #subs = new Map<string, SessionSub>()
  /** The home connection (channels, patterns) and, on a Cluster, one per slot owner. */
  readonly #placement: ShardPlacement
  readonly #listeners: StateListener[] = []
  readonly #ticker: NodeJS.Timeout
  #up = true
  /** Established subscriptions that are not confirmed now. */
  #missing = 0
  #closed = false

  constructor(o: ResolvedOptions, target: SubscriberTarget) {
    this.#o = o
    this.settings = {
      clientName: o.clientName ?? 'redis-expert-subscriber',
      connectTimeoutMs: o.connectTimeoutMs,
      commandTimeoutMs: o.commandTimeoutMs,
      reconnect: o.reconnect,
    }
    this.#placement = new ShardPlacement(this, target, (sub) => this.#detach(sub))
    this.#ticker = setInterval(() => this.#tick(), tickFor(Math.min(o.commandTimeoutMs, PING_EVERY_MS)))
    this.#ticker.unref()
  }

  get closed(): boolean {
    return this.#closed
  }

  /** The first connection, within connectTimeoutMs for every attempt together. */
  async start(): Promise<void> {
    const budgetEnds = Date.now() + this.#o.connectTimeoutMs
    let lastError: unknown
    for (let attempt = 0; ; attempt++) {
      const left = budgetEnds - Date.now()
      if (left <= 0) break
      try {
        await this.#placement.home.connect(attempt, left)
        return
      } catch (error) {
        lastError = error
        if (error instanceof RedisExpertError && error.details.reason === 'auth') break
      }
      const pause = Math.min(backoffDelay(attempt, this.#o.reconnect), budgetEnds - Date.now())
      if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause))
    }
    await this.close()
    throw lastError instanceof RedisExpertError
      ? lastError
      : new RedisExpertError('CONNECTION_FAILED', `subscriber: could not connect: ${String(lastError)}`)
  }

  subscribe(kind: SubscriptionKind, name: string, listener: RawListener): Promise<void> {
    const invalid = checkArguments('subscribe', kind, name, listener)
    if (invalid) return Promise.reject(invalid)
    if (this.#closed) return Promise.reject(closedError(VERBS[kind].on))
    const wire = wireName(name)
    let sub = this.#subs.get(keyOf(kind, wire))
    if (!sub) {
      sub = new Sub<Session>(kind, wire)
      this.#subs.set(sub.key, sub)
      this.#placement.place(sub, false)
    }
    const added = !sub.listeners.has(listener)
    sub.listeners.add(listener)
    if (sub.confirmed) return Promise.resolve()
    const pending = sub
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        listener,
        added,
        resolve,
        reject,
        timer: setTimeout(
          () => this.#expire(pending, waiter),
          this.#o.connectTimeoutMs + this.#o.commandTimeoutMs,
        ),
      }
      waiter.timer.unref()
      pending.waiters.push(waiter)
    })
  }

  unsubscribe(kind: SubscriptionKind, name: string, listener: RawListener): Promise<void> {
    const invalid = checkArguments('unsubscribe', kind, name, listener)
    if (invalid) return Promise.reject(invalid)
    const sub = this.#subs.get(keyOf(kind, wireName(name)))
    if (!sub?.listeners.delete(listener)) return Promise.resolve()
    // A subscribe of this listener still waiting: the caller changed its mind; nothing to wait for.
    for (const waiter of sub.waiters.filter((w) => w.listener === listener)) {
      clearTimeout(waiter.timer)
      waiter.resolve()
    }
    sub.waiters = sub.waiters.filter((w) => w.listener !== listener)
    if (sub.listeners.size > 0) return Promise.resolve()
    const session = this.#drop(sub)
    this.#update()
    // Not on a live connection: nothing is subscribed on the server.
    if (!session?.ready) return Promise.resolve()
    return session.unsubscribe(sub)
  }

  onStateChange(listener: StateListener): void {
    this.#listeners.push(listener)
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve()
    this.#closed = true
    clearInterval(this.#ticker)
    for (const sub of this.#subs.values()) {
      sub.wanted = false
      for (const waiter of sub.waiters.splice(0)) {
        clearTimeout(waiter.timer)
        waiter.reject(closedError(VERBS[sub.kind].on))
      }
    }
    this.#subs.clear()
    this.#listeners.length = 0
    this.#placement.close()
    return Promise.resolve()
  }

  // ---- called by sessions ----

  deliver(kind: SubscriptionKind, name: string, channel: string, payload: Buffer): void {
    const sub = this.#subs.get(keyOf(kind, name))
    if (!sub) return
    for (const listener of sub.listeners) {
      try {
        listener(payload, channel)
      } catch {
        // A listener's failure is its own: the connection and the other listeners carry on.
      }
    }
  }

  confirmed(sub: SessionSub, session: Session): void {
    // Dropped, or moved elsewhere, since the command was written: the reply is stale.
    if (!sub.wanted || sub.session !== session) return
    sub.retries = 0
    this.#setConfirmed(sub, true)
    sub.established = true
    for (const waiter of sub.waiters.splice(0)) {
      clearTimeout(waiter.timer)
      waiter.resolve()
    }
    this.#update()
  }

  /** An error reply to SUBSCRIBE / PSUBSCRIBE / SSUBSCRIBE. */
  refused(sub: SessionSub, session: Session, error: ReplyError, from: Endpoint): void {
    if (!sub.wanted || sub.session !== session) return
    const reply = error.message
    // A sharded channel's slot lives elsewhere: it follows.
    if (this.#placement.followMoved(sub, reply, from)) return
    if (/^(ASK|TRYAGAIN|CLUSTERDOWN|LOADING|MOVED)\b/.test(reply)) {
      // Not now, or not here: ask where again after a pause.
      sub.retries++
      this.#placement.later(sub, backoffDelay(sub.retries, this.#o.reconnect))
      return
    }
    const typed = commandError(reply, [VERBS[sub.kind].on], error)
    if (!sub.established) {
      // A first subscribe refused (NOPERM...): it fails, and nobody listens.
      for (const waiter of sub.waiters.splice(0)) {
        clearTimeout(waiter.timer)
        waiter.reject(typed)
      }
      this.#drop(sub)
      this.#update()
      return
    }
    // A resubscription refused (the ACL changed?): stays down, tried again with backoff.
    sub.retries++
    this.#placement.later(sub, backoffDelay(sub.retries, this.#o.reconnect))
  }

  /** An `sunsubscribe` nobody asked for: the channel's slot moved away from this node. */
  slotMoved(name: string, session: Session): void {
    const sub = this.#subs.get(keyOf('shard', name))
    if (!sub || sub.session !== session || !sub.confirmed) return
    this.#setConfirmed(sub, false)
    this.#update()
    // Asked again, the former owner answers MOVED with the new one (followed in `refused`).
    session.write(sub)
  }

  /** Every subscription on a connection that was lost is unconfirmed now. */
  lost(session: Session, error: RedisExpertError): void {
    for (const sub of session.subs) this.#setConfirmed(sub, false)
    this.#update(error)
  }

  opened(): void {
    this.#update()
  }

  rehome(session: Session): Promise<void> {
    return this.#placement.rehome(session)
  }

  retire(session: Session): void {
    this.#placement.retire(session)
  }

  // ---- internals ----

  #detach(sub: SessionSub): void {
    const from = sub.session
    this.#setConfirmed(sub, false)
    sub.session = null
    from?.remove(sub)
    this.#update()
  }

  /** No one listens any more: forgotten here; returns the session it was on (to unsubscribe there). */
  #drop(sub: SessionSub): Session | null {
    if (!sub.wanted) return null
    if (sub.established && !sub.confirmed) this.#missing--
    sub.wanted = false
    this.#subs.delete(sub.key)
    const session = sub.session
    sub.session = null
    session?.remove(sub)
    return session
  }

  #setConfirmed(sub: SessionSub, confirmed: boolean): void {
    if (sub.confirmed === confirmed) return
    sub.confirmed = confirmed
    if (sub.established && sub.wanted) this.#missing += confirmed ? -1 : 1
  }

  /** A subscribe not confirmed within its bound: it fails, and its listener hears nothing. */
  #expire(sub: SessionSub, waiter: Waiter): void {
    sub.waiters = sub.waiters.filter((w) => w !== waiter)
    const verb = VERBS[sub.kind].on
    const written = sub.session?.ready === true
    if (waiter.added && !sub.waiters.some((w) => w.listener === waiter.listener))
      sub.listeners.delete(waiter.listener)
    if (sub.listeners.size === 0) {
      const session = this.#drop(sub)
      this.#update()
      if (session?.ready) session.unsubscribe(sub).catch(() => {})
    }
    const ms = this.#o.connectTimeoutMs + this.#o.commandTimeoutMs
    waiter.reject(
      written
        ? new RedisExpertError('COMMAND_TIMEOUT', `${verb} was not confirmed within ${ms} ms`, {
            details: { command: verb },
          })
        : new RedisExpertError(
            'CONNECTION_UNAVAILABLE',
            `${verb}: no connection to subscribe on within ${ms} ms; not subscribed`,
            { details: { command: verb } },
          ),
    )
  }

  #update(error?: unknown): void {
    if (this.#closed) return
    const up = this.#placement.home.ready && this.#missing === 0
    if (up === this.#up) return
    this.#up = up
    for (const listener of this.#listeners) {
      try {
        listener(up ? 'up' : 'down', error)
      } catch {
        // A listener's failure is its own.
      }
    }
  }

  #tick(): void {
    this.#placement.tick(Date.now())
  }
}
