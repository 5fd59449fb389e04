import { connect as netConnect, type Socket } from 'node:net'
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls'
import { encodeCommand, type ParsedReply, ReplyParser } from './resp.js'

/**
 * One dedicated connection SUBSCRIBEd to one channel (`db.subscribe`): a subscribed
 * connection can run nothing else, and the client's own connection is shared and
 * multiplexed. It speaks RESP2 itself because what it needs — to know exactly when it is
 * subscribed (up) and when messages may be missed (down) — is what coherence protocols such
 * as the cache's L1 depend on. On a Cluster, classic PUBLISH reaches every node over the
 * cluster bus, so one subscription to any node hears the whole Cluster.
 *
 * The connection reconnects with capped, jittered backoff, and PINGs every few seconds so that
 * a half-open socket is noticed: while it is down the cache bypasses its L1 (coherence is not
 * guaranteed without invalidations), and waiters fall back to their bounded wait.
 */
export interface SubscriberTarget {
  /** `redis://` / `rediss://` URLs to try in turn; credentials in a URL win over these. */
  readonly urls: readonly string[]
  readonly username: string | undefined
  readonly password: string | undefined
  readonly tls: boolean | ConnectionOptions | undefined
}

export interface SubscriberHandlers {
  message(payload: string): void
  /** Subscribed (again): from now on every message is heard. */
  up(): void
  /** Lost: messages may be missed until the next `up`. */
  down(): void
}

const PING_EVERY_MS = 3000
const BACKOFF_BASE_MS = 50
const BACKOFF_MAX_MS = 2000

export class ChannelSubscriber {
  readonly #target: SubscriberTarget
  readonly #channel: string
  readonly #handlers: SubscriberHandlers
  #socket: Socket | null = null
  #up = false
  #closed = false
  #attempt = 0
  #awaitingPong = false
  #retry: NodeJS.Timeout | null = null
  readonly #pinger: NodeJS.Timeout
  #waiters: (() => void)[] = []

  constructor(target: SubscriberTarget, channel: string, handlers: SubscriberHandlers) {
    this.#target = target
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
    this.#socket?.destroy()
    this.#socket = null
  }

  #open(): void {
    if (this.#closed || this.#socket) return
    const url = new URL(this.#target.urls[this.#attempt % this.#target.urls.length] as string)
    const host = url.hostname.replace(/^\[|\]$/g, '')
    const port = Number(url.port || 6379)
    const secure =
      url.protocol === 'rediss:' || (this.#target.tls !== undefined && this.#target.tls !== false)
    const tlsOptions = typeof this.#target.tls === 'object' ? this.#target.tls : {}
    const socket = secure
      ? tlsConnect({ host, port, servername: host, ...tlsOptions })
      : netConnect({ host, port })
    this.#socket = socket
    socket.setNoDelay(true)
    // Never the reason a process stays alive: the client's own connection decides that.
    socket.unref()
    socket.setKeepAlive(true, 5000)
    const parser = new ReplyParser({
      wantsBuffers: () => false,
      reply: (value) => this.#receive(value),
      // AUTH or SUBSCRIBE refused (wrong password, ACL without this channel): try again later.
      error: () => socket.destroy(),
    })
    socket.once(secure ? 'secureConnect' : 'connect', () => {
      const username = url.username ? decodeURIComponent(url.username) : this.#target.username
      const password = url.password ? decodeURIComponent(url.password) : this.#target.password
      const auth =
        password === undefined
          ? []
          : [encodeCommand(username ? ['AUTH', username, password] : ['AUTH', password])]
      socket.write(Buffer.concat([...auth, encodeCommand(['SUBSCRIBE', this.#channel])]))
    })
    socket.on('data', (chunk: Buffer) => {
      try {
        parser.push(chunk)
      } catch {
        socket.destroy()
      }
    })
    socket.on('error', () => {})
    socket.on('close', () => this.#lost(socket))
  }

  #receive(value: ParsedReply): void {
    if (!Array.isArray(value)) return
    const kind = value[0]
    if (kind === 'message' && typeof value[2] === 'string') this.#handlers.message(value[2])
    else if (kind === 'pong') this.#awaitingPong = false
    else if (kind === 'subscribe') {
      this.#up = true
      this.#attempt = 0
      this.#awaitingPong = false
      this.#handlers.up()
      const waiters = this.#waiters
      this.#waiters = []
      for (const wake of waiters) wake()
    }
  }

  #lost(socket: Socket): void {
    if (this.#socket !== socket) return
    this.#socket = null
    if (this.#up) {
      this.#up = false
      this.#handlers.down()
    }
    if (this.#closed) return
    this.#attempt++
    const step = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.min(this.#attempt, 10))
    this.#retry = setTimeout(
      () => {
        this.#retry = null
        this.#open()
      },
      Math.round(step * (0.5 + Math.random() / 2)),
    )
    this.#retry.unref()
  }

  /** A PING unanswered for a whole period means a dead or stuck connection: start over. */
  #ping(): void {
    const socket = this.#socket
    if (!socket || !this.#up) return
    if (this.#awaitingPong) {
      socket.destroy()
      return
    }
    this.#awaitingPong = true
    socket.write(encodeCommand(['PING']))
  }
}
