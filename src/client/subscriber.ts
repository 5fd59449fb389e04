import type { Endpoint } from './endpoint.js'
import { tickFor } from './in-flight.js'
import { PING_EVERY_MS, Session, type SessionHub, type SessionSettings } from './subscriber-session.js'
import { Sub, wireName } from './subscription.js'

/**
 * One dedicated connection SUBSCRIBEd to one channel (`db.subscribe`): a subscribed
 * connection can run nothing else, and the client's own connection is shared and
 * multiplexed. What it promises — to know exactly when it is subscribed (`up`) and when
 * messages may be missed (`down`) — is what coherence protocols such as the cache's L1
 * depend on. On a Cluster, classic PUBLISH reaches every node over the cluster bus, so one
 * subscription to any node hears the whole Cluster.
 *
 * It is one Session (subscriber-session.ts), the connection `db.subscriber()` uses too: the
 * same bounded connect and login, the same endpoint rule, SUBSCRIBE again after every
 * reconnect, a PING every few seconds with a deadline so that a half-open socket is noticed
 * (while it is down the cache bypasses its L1, and waiters fall back to their bounded wait),
 * and capped, jittered backoff. What differs from the port is what this caller needs: it
 * never gives up (`start(waitMs)` says whether it is subscribed yet, and it keeps trying), a
 * refused SUBSCRIBE (an ACL without this channel) is tried again on a new connection, and
 * `up` is said on every confirmation.
 */
export interface SubscriberHandlers {
  message(payload: string): void
  /** Subscribed (again): from now on every message is heard. */
  up(): void
  /** Lost: messages may be missed until the next `up`. */
  down(): void
}

export interface SubscriberSettings {
  /** Where to subscribe; `attempt` counts failed attempts, to move on to another node. */
  readonly locate: (attempt: number) => Endpoint | Promise<Endpoint>
  readonly connectTimeoutMs: number
  readonly clientName?: string | undefined
}

/** Its own, whatever the client's: the PING's deadline is the command timeout. */
const BACKOFF = { baseDelayMs: 50, maxDelayMs: 2000 }

export class ChannelSubscriber implements SessionHub {
  readonly settings: SessionSettings
  readonly #handlers: SubscriberHandlers
  readonly #session: Session
  readonly #sub: Sub<Session>
  readonly #ticker: NodeJS.Timeout
  #started = false
  #up = false
  #closed = false
  #waiters: (() => void)[] = []

  constructor(settings: SubscriberSettings, channel: string, handlers: SubscriberHandlers) {
    this.settings = {
      clientName: settings.clientName,
      connectTimeoutMs: settings.connectTimeoutMs,
      commandTimeoutMs: PING_EVERY_MS,
      reconnect: BACKOFF,
    }
    this.#handlers = handlers
    this.#sub = new Sub<Session>('channel', wireName(channel))
    this.#session = new Session(this, null, settings.locate)
    // The session's PING and the deadlines of what it wrote are checked on this tick.
    this.#ticker = setInterval(() => this.#session.tick(Date.now()), tickFor(PING_EVERY_MS))
    this.#ticker.unref()
  }

  get up(): boolean {
    return this.#up
  }

  get closed(): boolean {
    return this.#closed
  }

  /** Connects; resolves true once subscribed, false after `waitMs` (it keeps trying meanwhile). */
  start(waitMs: number): Promise<boolean> {
    if (!this.#started && !this.#closed) {
      this.#started = true
      this.#session.add(this.#sub)
    }
    if (this.#up) return Promise.resolve(true)
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), waitMs)
      timer.unref()
      this.#waiters.push(() => {
        clearTimeout(timer)
        resolve(true)
      })
    })
  }

  close(): void {
    this.#closed = true
    clearInterval(this.#ticker)
    this.#session.close()
    this.lost()
  }

  // ---- called by the session ----

  deliver(_kind: unknown, _name: string, _channel: string, payload: Buffer): void {
    this.#handlers.message(payload.toString('utf8'))
  }

  confirmed(): void {
    this.#up = true
    this.#handlers.up()
    for (const wake of this.#waiters.splice(0)) wake()
  }

  /** SUBSCRIBE refused (an ACL without this channel): tried again later, on a new connection. */
  refused(_sub: Sub<Session>, session: Session): void {
    session.restart()
  }

  lost(): void {
    if (!this.#up) return
    this.#up = false
    this.#handlers.down()
  }

  opened(): void {}

  /** Only the port's sharded channels move between nodes. */
  slotMoved(): void {}

  rehome(): Promise<void> {
    return Promise.resolve()
  }

  retire(): void {}
}
