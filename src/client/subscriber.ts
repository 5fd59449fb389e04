import { tickFor } from './in-flight.js'
import type { ResolvedOptions } from './options.js'
import { PING_EVERY_MS, Session, type SessionHub, type SessionSettings } from './subscriber-session.js'
import { Sub, type SubscriberTarget, wireName } from './subscription.js'

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
/** What `db.subscribe(channel, handlers)` calls. */
export interface SubscriberHandlers {
  /** A message published to the channel (its payload as UTF-8 text). */
  message(payload: string): void
  /** Subscribed (again): from now on every message is heard. */
  up(): void
  /** Lost: messages may be missed until the next `up`. */
  down(): void
}

/** Its own, whatever the client's: the PING's deadline is the command timeout. */
const BACKOFF = { baseDelayMs: 50, maxDelayMs: 2000 }

/** `db.subscribe(channel, handlers)`: one channel on a dedicated connection, with exact up/down. */
export class ChannelSubscriber {
  readonly #handlers: SubscriberHandlers
  readonly #session: Session
  readonly #sub: Sub<Session>
  readonly #ticker: NodeJS.Timeout
  #started = false
  #up = false
  #closed = false
  #waiters: (() => void)[] = []

  /** Subscribes where `target.locateNode` says (its attempt counts failures: on to another node). */
  constructor(
    o: Pick<ResolvedOptions, 'clientName' | 'connectTimeoutMs'>,
    target: SubscriberTarget,
    channel: string,
    handlers: SubscriberHandlers,
  ) {
    this.#handlers = handlers
    this.#sub = new Sub<Session>('channel', wireName(channel))
    this.#session = new Session(this.#hub(o), null, (attempt) => target.locateNode(attempt))
    // The session's PING and the deadlines of what it wrote are checked on this tick.
    this.#ticker = setInterval(() => this.#session.tick(Date.now()), tickFor(PING_EVERY_MS))
    this.#ticker.unref()
  }

  /** Subscribed now: every message published is heard. */
  get up(): boolean {
    return this.#up
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

  /** Drops the connection (and says `down` if it was up); it is not reopened. */
  close(): void {
    this.#closed = true
    clearInterval(this.#ticker)
    this.#session.close()
    this.#down()
  }

  #down(): void {
    if (!this.#up) return
    this.#up = false
    this.#handlers.down()
  }

  /** What the session tells this subscriber; kept off its public face. */
  #hub(o: Pick<ResolvedOptions, 'clientName' | 'connectTimeoutMs'>): SessionHub {
    const settings: SessionSettings = {
      clientName: o.clientName,
      connectTimeoutMs: o.connectTimeoutMs,
      commandTimeoutMs: PING_EVERY_MS,
      reconnect: BACKOFF,
    }
    const closed = () => this.#closed
    return {
      settings,
      get closed() {
        return closed()
      },
      deliver: (_kind, _name, _channel, payload) => this.#handlers.message(payload.toString('utf8')),
      confirmed: () => {
        this.#up = true
        this.#handlers.up()
        for (const wake of this.#waiters.splice(0)) wake()
      },
      // SUBSCRIBE refused (an ACL without this channel): tried again later, on a new connection.
      refused: (_sub, session) => session.restart(),
      lost: () => this.#down(),
      opened: () => {},
      // Only the port's sharded channels move between nodes.
      slotMoved: () => {},
      rehome: () => Promise.resolve(),
      retire: () => {},
    }
  }
}
