import { connect as netConnect, type Socket } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import {
  backoffDelay,
  type Driver,
  type IsolatedConnection,
  IsolatedPool,
  type NodeSender,
  openStandalone,
} from './driver.js'
import type { ResolvedOptions } from './options.js'
import { CommandWriter, type ParsedReply, ReplyError, ReplyParser, type ReplySink } from './resp.js'
import type { Reply } from './types.js'

/*
 * The errors this transport rejects with. translateError classifies transport failures by
 * class name, and these carry the names node-redis uses for the same situations, so both
 * drivers map identically: ClientOfflineError → CONNECTION_UNAVAILABLE, ClientClosedError →
 * CONNECTION_CLOSED, anything else (a socket lost with commands in flight) → CONNECTION_LOST.
 */

/** Not connected (reconnecting): the command was not sent. */
export class ClientOfflineError extends Error {
  constructor() {
    super('The client is offline')
  }
}

/** close() was called: the command was not sent. */
export class ClientClosedError extends Error {
  constructor() {
    super('The client is closed')
  }
}

/** The socket closed with the command in flight: it may or may not have run. */
export class ConnectionLostError extends Error {}

/** TCP/TLS connect plus handshake took longer than connectTimeoutMs. */
export class ConnectionTimeoutError extends Error {
  constructor() {
    super('Connection timeout')
  }
}

type Resolve = (reply: Reply) => void
type Reject = (error: unknown) => void

const noop = () => {}

/** A promise's resolving functions, taken by one shared executor: no closure per command. */
const captured: { resolve: Resolve; reject: Reject } = { resolve: noop, reject: noop }
function capture(resolve: Resolve, reject: Reject): void {
  captured.resolve = resolve
  captured.reject = reject
}

/**
 * One socket and the commands in flight on it, in the order they were sent (replies come
 * back in that order). Commands issued in the same tick leave in one write: CommandWriter
 * encodes them straight into a Buffer, written when the tick ends (setImmediate, as node-redis
 * batches). The pending commands are a ring of resolve/reject/buffers slots: no object per
 * command beyond its promise.
 */
class Connection implements ReplySink {
  readonly socket: Socket
  readonly #parser: ReplyParser
  #resolves: (Resolve | undefined)[] = new Array(1024)
  #rejects: (Reject | undefined)[] = new Array(1024)
  #binary = new Uint8Array(1024)
  #mask = 1023
  #head = 0
  #tail = 0
  /** The commands not yet written. */
  readonly #writer = new CommandWriter()
  #scheduled = false
  /** The handshake is done: user commands may be sent. */
  ready = false
  /** The handshake completed once on this socket. */
  wasReady = false
  /** The socket is gone (or going): every pending command has been rejected. */
  dead = false
  /** Why the driver dropped this connection (handshake refused, timeout, protocol error). */
  closeReason: Error | undefined
  readonly #flush = () => this.#write()

  constructor(socket: Socket) {
    this.socket = socket
    this.#parser = new ReplyParser(this)
  }

  get pending(): number {
    return this.#tail - this.#head
  }

  /** Queues one command; written at the end of the tick with every other queued one. */
  enqueue(args: readonly (string | Buffer)[], binary: boolean, resolve: Resolve, reject: Reject): void {
    try {
      this.#writer.add(args)
    } catch (error) {
      reject(error)
      return
    }
    if (this.#tail - this.#head > this.#mask) this.#grow()
    const slot = this.#tail & this.#mask
    this.#resolves[slot] = resolve
    this.#rejects[slot] = reject
    this.#binary[slot] = binary ? 1 : 0
    this.#tail++
    if (!this.#scheduled) {
      this.#scheduled = true
      setImmediate(this.#flush)
    }
  }

  #write(): void {
    this.#scheduled = false
    const out = this.#writer.take()
    if (out !== null && !this.dead) this.socket.write(out)
  }

  wantsBuffers(): boolean {
    return this.#binary[this.#head & this.#mask] === 1
  }

  reply(value: ParsedReply): void {
    const slot = this.#take()
    ;(this.#resolves[slot] as Resolve)(value as Reply)
    this.#resolves[slot] = undefined
    this.#rejects[slot] = undefined
  }

  error(error: ReplyError): void {
    const slot = this.#take()
    ;(this.#rejects[slot] as Reject)(error)
    this.#resolves[slot] = undefined
    this.#rejects[slot] = undefined
  }

  #take(): number {
    if (this.#head === this.#tail) throw new ReplyError('protocol error: a reply nobody asked for')
    return this.#head++ & this.#mask
  }

  /** Bytes from the socket. Throws on a protocol violation (the caller drops the connection). */
  receive(chunk: Buffer): void {
    this.#parser.push(chunk)
  }

  /** The socket is gone: every pending command fails with `error`, in order. */
  failAll(error: Error): void {
    this.dead = true
    this.ready = false
    this.#writer.clear()
    while (this.#head !== this.#tail) {
      const slot = this.#head++ & this.#mask
      const reject = this.#rejects[slot] as Reject
      this.#resolves[slot] = undefined
      this.#rejects[slot] = undefined
      reject(error)
    }
  }

  #grow(): void {
    const size = this.#resolves.length * 2
    const resolves: (Resolve | undefined)[] = new Array(size)
    const rejects: (Reject | undefined)[] = new Array(size)
    const binary = new Uint8Array(size)
    for (let seq = this.#head; seq < this.#tail; seq++) {
      const from = seq & this.#mask
      const to = seq & (size - 1)
      resolves[to] = this.#resolves[from]
      rejects[to] = this.#rejects[from]
      binary[to] = this.#binary[from] as number
    }
    this.#resolves = resolves
    this.#rejects = rejects
    this.#binary = binary
    this.#mask = size - 1
  }
}

type StateListener = (state: 'ready' | 'disconnected', error?: unknown) => void

interface Endpoint {
  readonly host: string
  readonly port: number
  readonly secure: boolean
  readonly username: string | undefined
  readonly password: string | undefined
  readonly database: number | undefined
}

/** Address, credentials and database as node-redis reads them: what the URL says wins over the options. */
function endpoint(url: string, options: ResolvedOptions): Endpoint {
  const parsed = new URL(url)
  const path = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : undefined
  if (path !== undefined && !Number.isInteger(path)) throw new TypeError('Invalid pathname')
  return {
    host: parsed.hostname.replace(/^\[|\]$/g, ''),
    port: parsed.port ? Number(parsed.port) : 6379,
    secure: parsed.protocol === 'rediss:' || (options.tls !== undefined && options.tls !== false),
    username: parsed.username ? decodeURIComponent(parsed.username) : options.username,
    password: parsed.password ? decodeURIComponent(parsed.password) : options.password,
    database: path ?? options.database,
  }
}

/**
 * The standalone driver: the client's own RESP2 transport over one socket (see Connection),
 * with node-redis's connection semantics — handshake (AUTH, CLIENT SETNAME, SELECT), fail-fast
 * first connect after `connectRetries`, then reconnection forever with capped jittered
 * backoff, commands rejected at once while not ready (no offline queue), every pending
 * command rejected when the socket is lost. WATCH transactions use node-redis connections
 * from an IsolatedPool: they are not a hot path.
 */
export class RespDriver implements Driver {
  readonly #url: string
  readonly #options: ResolvedOptions
  readonly #endpoint: Endpoint
  readonly #listeners: StateListener[] = []
  readonly #isolated: IsolatedPool
  #connection: Connection | null = null
  #connectedOnce = false
  #closed = false
  /** Failed attempts since the last ready connection. */
  #retries = 0
  #retryTimer: NodeJS.Timeout | null = null
  #waiters: ((ready: boolean) => void)[] = []
  /** The first connect(): settled when ready, or when it gives up. */
  #firstConnect: { resolve: () => void; reject: (error: unknown) => void } | null = null

  constructor(url: string, options: ResolvedOptions) {
    this.#url = url
    this.#options = options
    this.#endpoint = endpoint(url, options)
    this.#isolated = new IsolatedPool((target) => openStandalone(target, options, () => true))
  }

  get ready(): boolean {
    return this.#connection?.ready === true
  }

  connect(): Promise<void> {
    if (this.#closed) return Promise.reject(new ClientClosedError())
    return new Promise((resolve, reject) => {
      this.#firstConnect = { resolve, reject }
      this.#open()
    })
  }

  send(
    args: readonly (string | Buffer)[],
    _firstKey: unknown,
    _readonly: boolean,
    buffers: boolean,
  ): Promise<Reply> {
    const connection = this.#connection
    if (connection === null || !connection.ready)
      return Promise.reject(this.#closed ? new ClientClosedError() : new ClientOfflineError())
    const promise = new Promise<Reply>(capture)
    connection.enqueue(args, buffers, captured.resolve, captured.reject)
    return promise
  }

  sendBatch(
    commands: readonly (readonly (string | Buffer)[])[],
    _firstKey: unknown,
    atomic: boolean,
    buffers: boolean,
  ): Promise<Reply[]> {
    const connection = this.#connection
    if (connection === null || !connection.ready)
      return Promise.reject(this.#closed ? new ClientClosedError() : new ClientOfflineError())
    if (!atomic) {
      // A pipeline: error replies stay in place (settleBatch reports the first by position).
      return Promise.all(
        commands.map(
          (args) =>
            new Promise<Reply>((resolve, reject) =>
              connection.enqueue(args, buffers, resolve, (error) =>
                error instanceof ReplyError ? resolve(error as unknown as Reply) : reject(error),
              ),
            ),
        ),
      )
    }
    return new Promise((resolve, reject) => {
      // As node-redis: a command refused while queueing (unknown command, wrong arity) fails
      // the whole transaction with its own error; EXEC then only reports EXECABORT.
      let queueError: unknown
      const noteError = (error: unknown) => {
        queueError ??= error
      }
      connection.enqueue(['MULTI'], false, noop, noteError)
      for (const args of commands) connection.enqueue(args, false, noop, noteError)
      connection.enqueue(
        ['EXEC'],
        buffers,
        (reply) => {
          if (queueError !== undefined) reject(queueError)
          // Only a WATCH on this shared connection (sent through call()) can abort EXEC.
          else if (reply === null) reject(new Error('EXEC aborted: a watched key changed'))
          else resolve(reply as Reply[])
        },
        (error) => reject(queueError ?? error),
      )
    })
  }

  waitReady(ms: number): Promise<boolean> {
    if (this.ready) return Promise.resolve(true)
    if (this.#closed || ms <= 0) return Promise.resolve(false)
    return new Promise((resolve) => {
      const wake = (ready: boolean) => {
        clearTimeout(timer)
        resolve(ready)
      }
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((waiter) => waiter !== wake)
        resolve(false)
      }, ms)
      this.#waiters.push(wake)
    })
  }

  async masters(): Promise<NodeSender[]> {
    return [
      {
        address: new URL(this.#url).host,
        send: (args, buffers) => this.send(args, undefined, false, buffers === true),
        sendBatch: (commands, atomic, buffers) => this.sendBatch(commands, undefined, atomic, buffers),
      },
    ]
  }

  isolated<T>(_firstKey: string | undefined, fn: (connection: IsolatedConnection) => Promise<T>): Promise<T> {
    return this.#isolated.use(this.#url, fn)
  }

  recycle(): void {
    if (this.#closed) return
    const old = this.#connection
    this.#connection = null
    if (old) this.#drop(old, new ConnectionLostError('Disconnects client'))
    this.#cancelRetry()
    this.#retries = 0
    this.#open()
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#cancelRetry()
    for (const wake of this.#waiters.splice(0)) wake(false)
    const first = this.#firstConnect
    this.#firstConnect = null
    first?.reject(new ClientClosedError())
    const connection = this.#connection
    await this.#isolated.close()
    if (connection === null) return
    if (!connection.ready) {
      this.#connection = null
      this.#drop(connection, new ClientClosedError())
      return
    }
    // As node-redis's close(): commands in flight get their replies, then the socket ends.
    connection.ready = false
    await new Promise<void>((resolve) => {
      const socket = connection.socket
      socket.once('close', () => resolve())
      connection.enqueue(
        ['QUIT'],
        false,
        () => socket.end(),
        () => socket.destroy(),
      )
    })
  }

  onStateChange(listener: StateListener): void {
    this.#listeners.push(listener)
  }

  #emit(state: 'ready' | 'disconnected', error?: unknown): void {
    for (const listener of this.#listeners) listener(state, error)
  }

  #cancelRetry(): void {
    if (this.#retryTimer) clearTimeout(this.#retryTimer)
    this.#retryTimer = null
  }

  /** Opens a socket and runs the handshake; on failure, #lost decides whether and when to retry. */
  #open(): void {
    if (this.#closed) return
    const { host, port, secure } = this.#endpoint
    const tls = this.#options.tls
    const socket = secure
      ? tlsConnect({ host, port, ...(typeof tls === 'object' ? tls : {}) })
      : netConnect({ host, port })
    const connection = new Connection(socket)
    this.#connection = connection
    socket.setNoDelay(true)
    socket.setKeepAlive(true, 5000)
    // Covers TCP/TLS connect and the handshake.
    const timer = setTimeout(
      () => this.#drop(connection, new ConnectionTimeoutError()),
      this.#options.connectTimeoutMs,
    )
    let failure: Error | undefined
    socket.on('data', (chunk: Buffer) => {
      try {
        connection.receive(chunk)
      } catch (error) {
        this.#drop(connection, error instanceof Error ? error : new Error(String(error)))
      }
    })
    socket.on('error', (error: Error) => {
      failure ??= error
    })
    socket.on('close', () => {
      clearTimeout(timer)
      const error = connection.closeReason ?? failure ?? new ConnectionLostError('Socket closed unexpectedly')
      connection.failAll(error)
      this.#lost(connection, error)
    })
    socket.once(secure ? 'secureConnect' : 'connect', () => {
      this.#handshake(connection, () => {
        clearTimeout(timer)
        connection.ready = true
        connection.wasReady = true
        this.#retries = 0
        this.#connectedOnce = true
        const first = this.#firstConnect
        this.#firstConnect = null
        first?.resolve()
        for (const wake of this.#waiters.splice(0)) wake(true)
        this.#emit('ready')
      })
    })
  }

  /** AUTH, CLIENT SETNAME and SELECT, pipelined; `done` once all succeeded. */
  #handshake(connection: Connection, done: () => void): void {
    const { username, password, database } = this.#endpoint
    const commands: string[][] = []
    if (username !== undefined || password !== undefined)
      commands.push(username ? ['AUTH', username, password ?? ''] : ['AUTH', password ?? ''])
    if (this.#options.clientName) commands.push(['CLIENT', 'SETNAME', this.#options.clientName])
    if (database !== undefined && database !== 0) commands.push(['SELECT', String(database)])
    if (commands.length === 0) {
      done()
      return
    }
    let left = commands.length
    let failed = false
    const ok = () => {
      if (--left === 0 && !failed) done()
    }
    const fail = (error: unknown) => {
      if (failed) return
      failed = true
      this.#drop(connection, error instanceof Error ? error : new Error(String(error)))
    }
    for (const args of commands) connection.enqueue(args, false, ok, fail)
  }

  /** Ends `connection` with `reason` (reported to its pending commands and, if first, to connect()). */
  #drop(connection: Connection, reason: Error): void {
    if (connection.dead) return
    connection.closeReason ??= reason
    connection.failAll(reason)
    connection.socket.destroy()
  }

  /** The socket of `connection` closed: report, then reconnect under the strategy. */
  #lost(connection: Connection, error: Error): void {
    if (this.#connection !== connection) return
    this.#connection = null
    if (this.#closed) return
    this.#emit('disconnected', error)
    // As node-redis: a connection that was ready is retried at once, then with backoff.
    if (connection.wasReady) {
      this.#open()
      return
    }
    if (!this.#connectedOnce && this.#retries >= this.#options.connectRetries) {
      // The first connection fails fast so that connect() reports a wrong address or password.
      const first = this.#firstConnect
      this.#firstConnect = null
      first?.reject(error)
      return
    }
    const { baseDelayMs, maxDelayMs } = this.#options.reconnect
    const delay = backoffDelay(this.#retries, baseDelayMs, maxDelayMs)
    this.#retries++
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null
      this.#open()
    }, delay)
  }
}
