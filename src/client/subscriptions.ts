import { keySlot } from '../common/slot.js'
import { RedisExpertError } from '../errors.js'
import { parseRedirection } from './cluster-map.js'
import { Connection, tickFor } from './connection.js'
import type { Endpoint } from './endpoint.js'
import { commandError } from './errors.js'
import { backoffDelay, withTimeout } from './link.js'
import type { ResolvedOptions } from './options.js'
import { type ParsedReply, ReplyError } from './resp.js'

/**
 * `db.subscriber()`: dedicated pub/sub connections (a subscribed connection can run nothing
 * else) on the toolkit's own Connections (connection.ts).
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
export type SubscriptionKind = 'channel' | 'pattern' | 'shard'

/** A message as received: the payload as bytes (any codec) and the channel it was published to. */
export type RawListener = (payload: Buffer, channel: string) => void

export interface SubscriberPort {
  subscribe(kind: SubscriptionKind, name: string, listener: RawListener): Promise<void>
  unsubscribe(kind: SubscriptionKind, name: string, listener: RawListener): Promise<void>
  /** `down`: messages published now are missed (pub/sub keeps nothing); `up`: resubscribed. */
  onStateChange(listener: (state: 'up' | 'down', error?: unknown) => void): void
  close(): Promise<void>
}

/** Where subscriptions go; a Topology (topology.ts) is one. */
export interface SubscriberTarget {
  /** A node for channels and patterns; `attempt` counts failures, to move on to another node. */
  locateNode(attempt: number): Endpoint | Promise<Endpoint>
  /** Cluster: the master that owns `slot` now; `refresh` reloads the slot map first. */
  endpointForSlot?(slot: number, refresh?: boolean): Promise<Endpoint | undefined>
}

type StateListener = (state: 'up' | 'down', error?: unknown) => void

const VERBS = {
  channel: { on: 'SUBSCRIBE', off: 'UNSUBSCRIBE' },
  pattern: { on: 'PSUBSCRIBE', off: 'PUNSUBSCRIBE' },
  shard: { on: 'SSUBSCRIBE', off: 'SUNSUBSCRIBE' },
} as const

/** Push types: the kind they concern, and whether they confirm a subscription (or its end). */
const CONFIRMATIONS: Readonly<Record<string, readonly [SubscriptionKind, boolean]>> = {
  subscribe: ['channel', true],
  psubscribe: ['pattern', true],
  ssubscribe: ['shard', true],
  unsubscribe: ['channel', false],
  punsubscribe: ['pattern', false],
  sunsubscribe: ['shard', false],
}

const PING_EVERY_MS = 3000
/** Consecutive MOVED answers followed at once; beyond, with backoff (owners that disagree mid-migration). */
const EAGER_REDIRECTS = 2

export async function openSubscriber(o: ResolvedOptions, target: SubscriberTarget): Promise<SubscriberPort> {
  const subscriber = new Subscriber(o, target)
  await subscriber.start()
  return subscriber
}

interface Waiter {
  readonly listener: RawListener
  /** The listener was added by this subscribe call (and is removed again if it fails). */
  readonly added: boolean
  readonly resolve: () => void
  readonly reject: (error: unknown) => void
  readonly timer: NodeJS.Timeout
}

/** One subscription (kind + name) and everyone listening to it. */
class Sub {
  readonly kind: SubscriptionKind
  readonly name: string
  readonly key: string
  readonly listeners = new Set<RawListener>()
  session: Session | null = null
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

/** A command written on a session's connection, waiting for its one reply. */
interface Pending {
  readonly op: 'on' | 'off' | 'ping'
  readonly kind: SubscriptionKind | undefined
  readonly name: string
  readonly sub: Sub | undefined
  readonly deadline: number
  readonly settle: ((error?: RedisExpertError) => void) | undefined
}

class Subscriber implements SubscriberPort {
  readonly #o: ResolvedOptions
  readonly #target: SubscriberTarget
  readonly #subs = new Map<string, Sub>()
  readonly #home: Session
  /** Cluster: connections to slot owners for sharded channels, by node address. */
  readonly #shards = new Map<string, Session>()
  readonly #listeners: StateListener[] = []
  readonly #timers = new Set<NodeJS.Timeout>()
  readonly #ticker: NodeJS.Timeout
  #up = true
  /** Established subscriptions that are not confirmed now. */
  #missing = 0
  #closed = false

  constructor(o: ResolvedOptions, target: SubscriberTarget) {
    this.#o = o
    this.#target = target
    this.#home = new Session(this, null, (attempt) => target.locateNode(attempt))
    this.#ticker = setInterval(() => this.#tick(), tickFor(Math.min(o.commandTimeoutMs, PING_EVERY_MS)))
    this.#ticker.unref()
  }

  get options(): ResolvedOptions {
    return this.#o
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
        await this.#home.connect(attempt, left)
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
      sub = new Sub(kind, wire)
      this.#subs.set(sub.key, sub)
      this.#place(sub, false)
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
    for (const timer of this.#timers) clearTimeout(timer)
    this.#timers.clear()
    for (const sub of this.#subs.values()) {
      sub.wanted = false
      for (const waiter of sub.waiters.splice(0)) {
        clearTimeout(waiter.timer)
        waiter.reject(closedError(VERBS[sub.kind].on))
      }
    }
    this.#subs.clear()
    this.#listeners.length = 0
    this.#home.close()
    for (const session of this.#shards.values()) session.close()
    this.#shards.clear()
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

  confirmed(sub: Sub, session: Session): void {
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
  refused(sub: Sub, session: Session, error: ReplyError, from: Endpoint): void {
    if (!sub.wanted || sub.session !== session) return
    const reply = error.message
    const redirect = reply.startsWith('MOVED ') ? parseRedirection(reply) : null
    if (sub.kind === 'shard' && redirect) {
      const at = redirect.address.lastIndexOf(':')
      const owner = from.at(
        redirect.address.slice(0, at).replace(/^\[|\]$/g, ''),
        Number(redirect.address.slice(at + 1)),
      )
      sub.retries++
      if (sub.retries <= EAGER_REDIRECTS) this.#move(sub, owner)
      else this.#later(sub, backoffDelay(sub.retries - EAGER_REDIRECTS, this.#o.reconnect), owner)
      return
    }
    if (/^(ASK|TRYAGAIN|CLUSTERDOWN|LOADING|MOVED)\b/.test(reply)) {
      // Not now, or not here: ask where again after a pause.
      sub.retries++
      this.#later(sub, backoffDelay(sub.retries, this.#o.reconnect))
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
    this.#later(sub, backoffDelay(sub.retries, this.#o.reconnect))
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

  /** Before a shard connection is opened again: subscriptions whose slot moved meanwhile go to the new owner. */
  async rehome(session: Session): Promise<void> {
    const find = this.#target.endpointForSlot?.bind(this.#target)
    if (!find || session.subs.size === 0) return
    await withTimeout(find(0, true), this.#o.connectTimeoutMs).catch(() => undefined)
    for (const sub of [...session.subs]) {
      const owner = await find(keySlot(sub.name)).catch(() => undefined)
      if (owner && owner.address !== session.address && sub.session === session && !this.#closed)
        this.#move(sub, owner)
    }
  }

  retire(session: Session): void {
    if (session.address !== null && this.#shards.get(session.address) === session)
      this.#shards.delete(session.address)
    session.close()
  }

  // ---- internals ----

  /** Puts a subscription on the connection it belongs on (asking the slot map for a sharded one). */
  #place(sub: Sub, refresh: boolean): void {
    const find = this.#target.endpointForSlot?.bind(this.#target)
    if (sub.kind !== 'shard' || !find) {
      this.#home.add(sub)
      return
    }
    find(keySlot(sub.name), refresh).then(
      (owner) => {
        if (sub.wanted && !this.#closed && sub.session === null) this.#sessionFor(owner).add(sub)
      },
      () => {
        if (sub.wanted && !this.#closed && sub.session === null) this.#home.add(sub)
      },
    )
  }

  #sessionFor(endpoint: Endpoint | undefined): Session {
    if (endpoint === undefined) return this.#home
    let session = this.#shards.get(endpoint.address)
    if (!session) {
      session = new Session(this, endpoint.address, () => endpoint)
      this.#shards.set(endpoint.address, session)
    }
    return session
  }

  #move(sub: Sub, owner: Endpoint): void {
    this.#detach(sub)
    this.#sessionFor(owner).add(sub)
  }

  /** Takes `sub` off its connection and places it again after `delayMs` (at `owner`, or where the map says). */
  #later(sub: Sub, delayMs: number, owner?: Endpoint): void {
    this.#detach(sub)
    const timer = setTimeout(() => {
      this.#timers.delete(timer)
      if (!sub.wanted || this.#closed || sub.session !== null) return
      if (owner) this.#sessionFor(owner).add(sub)
      else this.#place(sub, true)
    }, delayMs)
    timer.unref()
    this.#timers.add(timer)
  }

  #detach(sub: Sub): void {
    const from = sub.session
    this.#setConfirmed(sub, false)
    sub.session = null
    from?.remove(sub)
    this.#update()
  }

  /** No one listens any more: forgotten here; returns the session it was on (to unsubscribe there). */
  #drop(sub: Sub): Session | null {
    if (!sub.wanted) return null
    if (sub.established && !sub.confirmed) this.#missing--
    sub.wanted = false
    this.#subs.delete(sub.key)
    const session = sub.session
    sub.session = null
    session?.remove(sub)
    return session
  }

  #setConfirmed(sub: Sub, confirmed: boolean): void {
    if (sub.confirmed === confirmed) return
    sub.confirmed = confirmed
    if (sub.established && sub.wanted) this.#missing += confirmed ? -1 : 1
  }

  /** A subscribe not confirmed within its bound: it fails, and its listener hears nothing. */
  #expire(sub: Sub, waiter: Waiter): void {
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
    const up = this.#home.ready && this.#missing === 0
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
    const now = Date.now()
    this.#home.tick(now)
    for (const session of this.#shards.values()) session.tick(now)
  }
}

/** One connection to one node, and the subscriptions placed on it; reconnected while it has a use. */
class Session {
  readonly #hub: Subscriber
  /** A shard connection's node (`host:port`); null for the home connection (channels, patterns). */
  readonly address: string | null
  readonly #locate: (attempt: number) => Endpoint | Promise<Endpoint>
  readonly subs = new Set<Sub>()
  #connection: Connection | null = null
  #pending: Pending[] = []
  #opening = false
  #retry: NodeJS.Timeout | null = null
  /** Failed attempts since the connection last proved healthy (a reply): the backoff step. */
  #failures = 0
  #lastPing = 0
  #closed = false

  constructor(
    hub: Subscriber,
    address: string | null,
    locate: (attempt: number) => Endpoint | Promise<Endpoint>,
  ) {
    this.#hub = hub
    this.address = address
    this.#locate = locate
  }

  get ready(): boolean {
    return this.#connection?.ready === true
  }

  add(sub: Sub): void {
    if (this.#closed) return
    this.subs.add(sub)
    sub.session = this
    if (this.ready) this.write(sub)
    else this.#scheduleOpen()
  }

  remove(sub: Sub): void {
    this.subs.delete(sub)
    this.#retireIfIdle()
  }

  /** SUBSCRIBE (or PSUBSCRIBE, SSUBSCRIBE) for `sub` on the open connection. */
  write(sub: Sub): void {
    const connection = this.#connection
    if (!connection?.ready) return
    connection.writeUnanswered([VERBS[sub.kind].on, sub.name])
    this.#pending.push({
      op: 'on',
      kind: sub.kind,
      name: sub.name,
      sub,
      deadline: Date.now() + this.#hub.options.commandTimeoutMs,
      settle: undefined,
    })
  }

  /** UNSUBSCRIBE (...) on the open connection; resolves on its confirmation or when the connection goes. */
  unsubscribe(sub: Sub): Promise<void> {
    const connection = this.#connection
    if (!connection?.ready) return Promise.resolve()
    return new Promise((resolve, reject) => {
      connection.writeUnanswered([VERBS[sub.kind].off, sub.name])
      this.#pending.push({
        op: 'off',
        kind: sub.kind,
        name: sub.name,
        sub: undefined,
        deadline: Date.now() + this.#hub.options.commandTimeoutMs,
        settle: (error) => (error ? reject(error) : resolve()),
      })
    })
  }

  /** One attempt: locate, connect (TCP, TLS, login) within `budgetMs`, subscribe everything placed here. */
  async connect(attempt: number, budgetMs: number): Promise<void> {
    const o = this.#hub.options
    this.#opening = true
    try {
      const endpoint = await withTimeout(Promise.resolve(this.#locate(attempt)), budgetMs)
      const connection = await Connection.open({
        endpoint,
        clientName: o.clientName ?? 'redis-expert-subscriber',
        connectTimeoutMs: Math.max(1, budgetMs),
        commandTimeoutMs: o.commandTimeoutMs,
        unref: true,
        pushBuffers: true,
        onPush: (reply) => this.#receive(reply, endpoint),
      })
      if (this.#closed || this.#hub.closed) {
        connection.destroy()
        throw closedError('SUBSCRIBE')
      }
      this.#adopt(connection)
    } finally {
      this.#opening = false
    }
  }

  tick(now: number): void {
    const connection = this.#connection
    if (!connection?.ready) return
    const head = this.#pending[0]
    if (head !== undefined) {
      if (head.deadline <= now) {
        const command =
          head.op === 'ping' ? 'PING' : VERBS[head.kind ?? 'channel'][head.op === 'on' ? 'on' : 'off']
        connection.destroy(
          new RedisExpertError(
            'COMMAND_TIMEOUT',
            `subscriber: ${command} got no reply within its timeout; the connection is dropped`,
            { details: { command } },
          ),
        )
      }
      return
    }
    if (now - this.#lastPing >= PING_EVERY_MS) {
      this.#lastPing = now
      connection.writeUnanswered(['PING'])
      this.#pending.push({
        op: 'ping',
        kind: undefined,
        name: '',
        sub: undefined,
        deadline: now + Math.min(this.#hub.options.commandTimeoutMs, PING_EVERY_MS),
        settle: undefined,
      })
    }
  }

  close(): void {
    this.#closed = true
    if (this.#retry) clearTimeout(this.#retry)
    this.#retry = null
    const connection = this.#connection
    this.#connection = null
    for (const pending of this.#pending.splice(0)) pending.settle?.()
    connection?.destroy(closedError('SUBSCRIBE'))
  }

  // ---- internals ----

  #adopt(connection: Connection): void {
    this.#connection = connection
    this.#pending = []
    this.#lastPing = Date.now()
    // Nothing to confirm: open is as healthy as it gets.
    if (this.subs.size === 0) this.#failures = 0
    connection.onClose((error) => this.#lost(connection, error))
    for (const sub of this.subs) this.write(sub)
    this.#hub.opened()
  }

  #lost(connection: Connection, error: RedisExpertError): void {
    if (this.#connection !== connection) return
    this.#connection = null
    // Gone with the connection: the server forgot those subscriptions too.
    for (const pending of this.#pending.splice(0)) pending.settle?.()
    this.#hub.lost(this, error)
    this.#scheduleOpen()
  }

  #scheduleOpen(): void {
    if (this.#closed || this.#hub.closed || this.#opening || this.#retry || this.#connection) return
    if (this.#retireIfIdle()) return
    const failures = this.#failures++
    // A connection that was healthy is tried again at once, then with backoff.
    const delayMs = failures === 0 ? 0 : backoffDelay(failures - 1, this.#hub.options.reconnect)
    this.#retry = setTimeout(() => {
      this.#retry = null
      this.#reopen(failures)
    }, delayMs)
    this.#retry.unref()
  }

  #reopen(attempt: number): void {
    if (this.#closed || this.#hub.closed || this.#opening || this.#connection) return
    this.#opening = true
    const relocated = this.address !== null && attempt > 0 ? this.#hub.rehome(this) : Promise.resolve()
    relocated
      .then(() => {
        this.#opening = false
        if (this.#closed || this.#retireIfIdle()) return
        return this.connect(attempt, this.#hub.options.connectTimeoutMs)
      })
      .catch(() => {
        this.#opening = false
        this.#scheduleOpen()
      })
  }

  /** A shard connection with nothing on it and nothing in flight is closed. */
  #retireIfIdle(): boolean {
    if (this.address === null || this.#closed || this.subs.size > 0) return false
    if (this.#pending.some((pending) => pending.op === 'off')) return false
    this.#hub.retire(this)
    return true
  }

  #receive(reply: ParsedReply, from: Endpoint): void {
    if (reply instanceof ReplyError) {
      const head = this.#pending.shift()
      if (head?.op === 'on' && head.sub) this.#hub.refused(head.sub, this, reply, from)
      else if (head?.op === 'off')
        head.settle?.(commandError(reply.message, [VERBS[head.kind ?? 'channel'].off], reply))
      this.#afterReply()
      return
    }
    if (!Array.isArray(reply)) {
      // PONG outside subscribed mode (a connection with no subscription left).
      if (text(reply).toUpperCase() === 'PONG' && this.#pending[0]?.op === 'ping') {
        this.#pending.shift()
        this.#failures = 0
      }
      return
    }
    const type = text(reply[0])
    if (type === 'message' || type === 'smessage') {
      const channel = text(reply[1])
      this.#hub.deliver(type === 'message' ? 'channel' : 'shard', channel, channel, bytes(reply[2]))
      return
    }
    if (type === 'pmessage') {
      this.#hub.deliver('pattern', text(reply[1]), text(reply[2]), bytes(reply[3]))
      return
    }
    if (type === 'pong') {
      if (this.#pending[0]?.op === 'ping') {
        this.#pending.shift()
        this.#failures = 0
      }
      return
    }
    const confirmation = CONFIRMATIONS[type]
    if (confirmation === undefined) return
    const [kind, on] = confirmation
    const name = text(reply[1])
    const head = this.#pending[0]
    if (head !== undefined && head.op === (on ? 'on' : 'off') && head.kind === kind && head.name === name) {
      this.#pending.shift()
      this.#failures = 0
      if (head.sub) this.#hub.confirmed(head.sub, this)
      head.settle?.()
      this.#afterReply()
    } else if (kind === 'shard' && !on) this.#hub.slotMoved(name, this)
    else if (on) {
      // A confirmation that answers no command written: out of step; start over.
      this.#connection?.destroy()
    }
  }

  #afterReply(): void {
    if (this.address !== null && this.subs.size === 0 && this.#pending.length === 0) this.#retireIfIdle()
  }
}

function keyOf(kind: SubscriptionKind, name: string): string {
  return `${kind}:${name}`
}

/** The name as the server will echo it: what UTF-8 can carry (a lone surrogate becomes U+FFFD). */
function wireName(name: string): string {
  return Buffer.from(name, 'utf8').toString('utf8')
}

function text(value: ParsedReply | undefined): string {
  if (Buffer.isBuffer(value)) return value.toString('utf8')
  return value === undefined || value === null ? '' : String(value)
}

function bytes(value: ParsedReply | undefined): Buffer {
  if (Buffer.isBuffer(value)) return value
  return Buffer.from(text(value), 'utf8')
}

function checkArguments(
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

function closedError(command: string): RedisExpertError {
  return new RedisExpertError('CONNECTION_CLOSED', `${command}: the subscriber is closed`, {
    details: { command },
  })
}
