import { Connection } from './connection.js'
import type { Endpoint } from './endpoint.js'
import { backoffDelay } from './link.js'
import type { ParsedReply } from './resp.js'

/**
 * One dedicated connection SUBSCRIBEd to one channel (`db.subscribe`): a subscribed
 * connection can run nothing else, and the client's own connection is shared and
 * multiplexed. What it promises — to know exactly when it is subscribed (`up`) and when
 * messages may be missed (`down`) — is what coherence protocols such as the cache's L1
 * depend on. On a Cluster, classic PUBLISH reaches every node over the cluster bus, so one
 * subscription to any node hears the whole Cluster.
 *
 * It runs on a Connection (connection.ts) like everything else: the same bounded connect and
 * login, the same endpoint rule. It reconnects with capped, jittered backoff, and PINGs every
 * few seconds with a deadline, so that a half-open socket is noticed: while it is down the
 * cache bypasses its L1, and waiters fall back to their bounded wait.
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

const PING_EVERY_MS = 3000
const BACKOFF = { baseDelayMs: 50, maxDelayMs: 2000 }

export class ChannelSubscriber {
  readonly #settings: SubscriberSettings
  readonly #channel: string
  readonly #handlers: SubscriberHandlers
  #connection: Connection | null = null
  #opening = false
  #up = false
  #closed = false
  #attempt = 0
  #retry: NodeJS.Timeout | null = null
  readonly #pinger: NodeJS.Timeout
  #waiters: (() => void)[] = []

  constructor(settings: SubscriberSettings, channel: string, handlers: SubscriberHandlers) {
    this.#settings = settings
    this.#channel = channel
    this.#handlers = handlers
    this.#pinger = setInterval(() => this.#ping(), PING_EVERY_MS)
    this.#pinger.unref()
  }

  get up(): boolean {
    return this.#up
  }

  /** Connects; resolves true once subscribed, false after `waitMs` (it keeps trying meanwhile). */
  start(waitMs: number): Promise<boolean> {
    this.#open()
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
    clearInterval(this.#pinger)
    if (this.#retry) clearTimeout(this.#retry)
    this.#connection?.destroy()
    this.#connection = null
  }

  #open(): void {
    if (this.#closed || this.#connection || this.#opening) return
    this.#opening = true
    Promise.resolve(this.#settings.locate(this.#attempt))
      .then((endpoint) =>
        Connection.open({
          endpoint,
          clientName: this.#settings.clientName,
          connectTimeoutMs: this.#settings.connectTimeoutMs,
          commandTimeoutMs: PING_EVERY_MS,
          unref: true,
          onPush: (reply) => this.#receive(reply),
        }),
      )
      .then(
        (connection) => {
          this.#opening = false
          if (this.#closed) {
            connection.destroy()
            return
          }
          this.#connection = connection
          connection.onClose(() => this.#lost(connection))
          connection.writeUnanswered(['SUBSCRIBE', this.#channel])
        },
        () => {
          this.#opening = false
          this.#scheduleRetry()
        },
      )
  }

  #receive(value: ParsedReply): void {
    if (value instanceof Error) {
      // SUBSCRIBE refused (an ACL without this channel): try again later.
      this.#connection?.destroy()
      return
    }
    if (!Array.isArray(value)) return
    const kind = value[0]
    if (kind === 'message' && typeof value[2] === 'string') this.#handlers.message(value[2])
    else if (kind === 'subscribe') {
      this.#up = true
      this.#attempt = 0
      this.#handlers.up()
      for (const wake of this.#waiters.splice(0)) wake()
    }
  }

  #lost(connection: Connection): void {
    if (this.#connection !== connection) return
    this.#connection = null
    if (this.#up) {
      this.#up = false
      this.#handlers.down()
    }
    this.#scheduleRetry()
  }

  #scheduleRetry(): void {
    if (this.#closed || this.#retry) return
    this.#attempt++
    this.#retry = setTimeout(
      () => {
        this.#retry = null
        this.#open()
      },
      backoffDelay(this.#attempt, BACKOFF),
    )
    this.#retry.unref()
  }

  /** A PING unanswered within its deadline drops the connection (see connection.ts); then it starts over. */
  #ping(): void {
    const connection = this.#connection
    if (connection?.ready && this.#up) connection.send(['PING']).catch(() => {})
  }
}
