import { RedisExpertError } from '../errors.js'
import { Connection } from './connection.js'
import type { Endpoint } from './endpoint.js'
import { commandError } from './errors.js'
import { backoffDelay, withTimeout } from './link.js'
import { type ParsedReply, ReplyError } from './resp-parser.js'
import { closedError, type Sub, type SubscriptionKind, VERBS } from './subscription.js'

/**
 * One pub/sub connection to one node, and the subscriptions placed on it — for the port of
 * `db.subscriber()` (subscriptions.ts) and for `db.subscribe()`'s one channel (subscriber.ts):
 * it subscribes each of them, again after every reconnect, and matches every reply to the
 * command it answers.
 *
 * - One command per subscription, so every command gets exactly one reply — its confirmation
 *   push or an error — in order: the commands written are a FIFO (PINGs included), and each
 *   reply settles the oldest. A reply that answers nothing written means the connection is out
 *   of step: it is dropped and opened again.
 * - A PING every few seconds, with a deadline like every command: a half-open socket or a
 *   stopped server is noticed (the connection is dropped, the hub hears `lost`).
 * - Reconnects at once, then with capped, jittered backoff; a shard connection asks the hub to
 *   move its subscriptions whose slot moved meanwhile before it reconnects (`rehome`), and is
 *   closed once nothing is placed on it.
 */

/** How often an idle connection is asked to prove it is alive. */
export const PING_EVERY_MS = 3000

/** How a session's connections are named, bounded and retried. */
export interface SessionSettings {
  /** CLIENT SETNAME of each connection; none when undefined. */
  readonly clientName: string | undefined
  /** One attempt at opening a connection (locate, TCP, TLS, login). */
  readonly connectTimeoutMs: number
  /** The deadline of every command written (SUBSCRIBE..., PING). */
  readonly commandTimeoutMs: number
  readonly reconnect: { readonly baseDelayMs: number; readonly maxDelayMs: number }
}

/**
 * What a session tells the subscriber it belongs to, and asks of it: the port of
 * `db.subscriber()` (subscriptions.ts), or the one channel of `db.subscribe()` (subscriber.ts).
 */
export interface SessionHub {
  readonly settings: SessionSettings
  readonly closed: boolean
  deliver(kind: SubscriptionKind, name: string, channel: string, payload: Buffer): void
  confirmed(sub: Sub<Session>, session: Session): void
  /** An error reply to SUBSCRIBE / PSUBSCRIBE / SSUBSCRIBE. */
  refused(sub: Sub<Session>, session: Session, error: ReplyError, from: Endpoint): void
  /** An `sunsubscribe` nobody asked for: the channel's slot moved away from this node. */
  slotMoved(name: string, session: Session): void
  lost(session: Session, error: RedisExpertError): void
  opened(): void
  /** Before a shard connection is opened again: subscriptions whose slot moved go to the new owner. */
  rehome(session: Session): Promise<void>
  /** A shard connection with nothing on it: closed and forgotten. */
  retire(session: Session): void
}

/** Push types: the kind they concern, and whether they confirm a subscription (or its end). */
const CONFIRMATIONS: Readonly<Record<string, readonly [SubscriptionKind, boolean]>> = {
  subscribe: ['channel', true],
  psubscribe: ['pattern', true],
  ssubscribe: ['shard', true],
  unsubscribe: ['channel', false],
  punsubscribe: ['pattern', false],
  sunsubscribe: ['shard', false],
}

/** A command written on a session's connection, waiting for its one reply. */
interface Pending {
  readonly op: 'on' | 'off' | 'ping'
  readonly kind: SubscriptionKind | undefined
  readonly name: string
  readonly sub: Sub<Session> | undefined
  readonly deadline: number
  readonly settle: ((error?: RedisExpertError) => void) | undefined
}

/** One connection to one node, and the subscriptions placed on it; reconnected while it has a use. */
export class Session {
  readonly #hub: SessionHub
  /** A shard connection's node (`host:port`); null for the home connection (channels, patterns). */
  readonly address: string | null
  readonly #locate: (attempt: number) => Endpoint | Promise<Endpoint>
  readonly subs = new Set<Sub<Session>>()
  #connection: Connection | null = null
  #pending: Pending[] = []
  #opening = false
  #retry: NodeJS.Timeout | null = null
  /** Failed attempts since the connection last proved healthy (a reply): the backoff step. */
  #failures = 0
  #lastPing = 0
  #closed = false

  constructor(
    hub: SessionHub,
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

  add(sub: Sub<Session>): void {
    if (this.#closed) return
    this.subs.add(sub)
    sub.session = this
    if (this.ready) this.write(sub)
    else this.#scheduleOpen()
  }

  remove(sub: Sub<Session>): void {
    this.subs.delete(sub)
    this.#retireIfIdle()
  }

  /** SUBSCRIBE (or PSUBSCRIBE, SSUBSCRIBE) for `sub` on the open connection. */
  write(sub: Sub<Session>): void {
    const connection = this.#connection
    if (!connection?.ready) return
    connection.writeUnanswered([VERBS[sub.kind].on, sub.name])
    this.#pending.push({
      op: 'on',
      kind: sub.kind,
      name: sub.name,
      sub,
      deadline: Date.now() + this.#hub.settings.commandTimeoutMs,
      settle: undefined,
    })
  }

  /** UNSUBSCRIBE (...) on the open connection; resolves on its confirmation or when the connection goes. */
  unsubscribe(sub: Sub<Session>): Promise<void> {
    const connection = this.#connection
    if (!connection?.ready) return Promise.resolve()
    return new Promise((resolve, reject) => {
      connection.writeUnanswered([VERBS[sub.kind].off, sub.name])
      this.#pending.push({
        op: 'off',
        kind: sub.kind,
        name: sub.name,
        sub: undefined,
        deadline: Date.now() + this.#hub.settings.commandTimeoutMs,
        settle: (error) => (error ? reject(error) : resolve()),
      })
    })
  }

  /** One attempt: locate, connect (TCP, TLS, login) within `budgetMs`, subscribe everything placed here. */
  async connect(attempt: number, budgetMs: number): Promise<void> {
    const o = this.#hub.settings
    this.#opening = true
    try {
      const endpoint = await withTimeout(Promise.resolve(this.#locate(attempt)), budgetMs)
      const connection = await Connection.open({
        endpoint,
        clientName: o.clientName,
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
        deadline: now + Math.min(this.#hub.settings.commandTimeoutMs, PING_EVERY_MS),
        settle: undefined,
      })
    }
  }

  /** Drops the connection: it is opened again (with backoff) and what is placed here subscribed again. */
  restart(): void {
    this.#connection?.destroy()
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
    const delayMs = failures === 0 ? 0 : backoffDelay(failures - 1, this.#hub.settings.reconnect)
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
        return this.connect(attempt, this.#hub.settings.connectTimeoutMs)
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

function text(value: ParsedReply | undefined): string {
  if (Buffer.isBuffer(value)) return value.toString('utf8')
  return value === undefined || value === null ? '' : String(value)
}

function bytes(value: ParsedReply | undefined): Buffer {
  if (Buffer.isBuffer(value)) return value
  return Buffer.from(text(value), 'utf8')
}
