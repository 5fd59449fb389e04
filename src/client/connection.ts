import { isIP, connect as netConnect, type Socket } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import type { Reply } from '../common/types.js'
import { RedisExpertError } from '../errors.js'
import { argText } from './command-info.js'
import {
  closedError,
  isPush,
  isRedirection,
  lost,
  named,
  reasonCode,
  timedOut,
} from './connection-failures.js'
import type { Endpoint } from './endpoint.js'
import { commandError } from './errors.js'
import {
  CommandWriter,
  type ParsedReply,
  ReplyError,
  ReplyMode,
  ReplyParser,
  type ReplySink,
} from './resp.js'

/**
 * One socket to one server, and the commands in flight on it. Everything the toolkit sends
 * goes through a Connection: the shared connection of a standalone client, each Cluster
 * node's, a Sentinel's, the dedicated ones (WATCH, blocking commands, pub/sub, the audit).
 * It does not reconnect: the topology above it opens a new one (see link.ts).
 *
 * - **Opening is bounded.** `Connection.open` covers TCP, TLS and the whole handshake (AUTH,
 *   CLIENT SETNAME, SELECT, setup commands, and a PING so that "ready" means the server
 *   answered) with one deadline: a server that accepts and stays silent fails the open.
 * - **Replies are ordered**, so the commands in flight are a FIFO ring of slots (resolve,
 *   reject, name, deadline, flags): no object per command beyond its promise. Commands of one
 *   tick leave in one write.
 * - **Every command has its own deadline**, checked by one sweep per tick, not a timer per
 *   command. When the oldest command is past its deadline nothing behind it can be answered:
 *   the connection is stuck (server paused, half-open socket) and is dropped; overdue commands
 *   fail with COMMAND_TIMEOUT, the rest with CONNECTION_LOST. A command whose deadline is
 *   earlier than that of a command ahead of it (a short timeout behind a long one) fails alone
 *   at its own deadline; its reply, when it comes, is read and discarded. A long timeout on one
 *   call therefore never delays another call's COMMAND_TIMEOUT.
 * - **Every failure is typed** at the source: COMMAND_ERROR (a Redis error reply, with its
 *   code), COMMAND_TIMEOUT, CONNECTION_LOST (sent; it may or may not have run — also after a
 *   protocol error, since the server may have run it), CONNECTION_CLOSED.
 * - **close() is bounded**: commands in flight get up to `closeTimeoutMs` to be answered, then
 *   the socket is destroyed and they fail.
 */
export interface ConnectionSettings {
  readonly endpoint: Endpoint
  readonly clientName?: string | undefined
  /** TCP + TLS + handshake. */
  readonly connectTimeoutMs: number
  /** The default deadline of a command; also sets the sweep's tick. */
  readonly commandTimeoutMs: number
  /** Commands run after login, before the connection counts as open (e.g. READONLY on a replica). */
  readonly setup?: readonly (readonly string[])[]
  /**
   * Pub/sub: replies that answer no command (messages, subscription confirmations) go here
   * instead of being a protocol error.
   */
  readonly onPush?: (reply: ParsedReply) => void
  /** Pub/sub: replies that arrive with no command in flight keep their bulk strings as Buffers. */
  readonly pushBuffers?: boolean
  /** The socket never keeps the process alive on its own (pub/sub, background work). */
  readonly unref?: boolean
  /**
   * Cluster: called for a MOVED, ASK, TRYAGAIN, CLUSTERDOWN or LOADING reply to a command sent
   * outside a transaction. It takes over settling the caller's promise (by sending the command
   * elsewhere, or later) — no extra promise per command on the hot path.
   */
  readonly redirect?: Redirect
}

export type Redirect = (
  reply: string,
  args: readonly (string | Buffer)[],
  buffers: boolean,
  timeoutMs: number,
  resolve: (reply: Reply) => void,
  reject: (error: unknown) => void,
  from: Connection,
) => void

type Resolve = (reply: Reply) => void
type Reject = (error: unknown) => void

/** Slot flags. */
const BUFFERS = 1
/** The caller was already told (COMMAND_TIMEOUT): the reply is read and dropped. */
const ABANDONED = 2
/** Inside MULTI: a redirection fails the transaction instead of moving the command. */
const NO_REDIRECT = 4
/** Strings as bytes, one char per byte, both ways (the codec's latin1 mode). */
const LATIN1 = 8
/** An error reply resolves as a ReplyError value instead of rejecting (a batch's commands). */
const ERROR_VALUE = 16

const noop = () => {}

/** A promise's resolving functions, taken by one shared executor: no closure per command. */
const captured: { resolve: Resolve; reject: Reject } = { resolve: noop, reject: noop }
function capture(resolve: Resolve, reject: Reject): void {
  captured.resolve = resolve
  captured.reject = reject
}

/** A sweep tick fine enough for the timeouts' precision, coarse enough to cost nothing. */
export function tickFor(timeoutMs: number): number {
  return Math.min(100, Math.max(5, Math.round(timeoutMs / 20)))
}

export class Connection implements ReplySink {
  readonly endpoint: Endpoint
  readonly #settings: ConnectionSettings
  readonly #socket: Socket
  readonly #parser: ReplyParser
  // The ring of commands in flight: slot = seq & mask.
  #resolves: (Resolve | undefined)[] = new Array(1024)
  #rejects: (Reject | undefined)[] = new Array(1024)
  #commands: (readonly (string | Buffer)[] | undefined)[] = new Array(1024)
  #deadlines = new Float64Array(1024)
  #flags = new Uint8Array(1024)
  #mask = 1023
  #head = 0
  #tail = 0
  /** The latest deadline of any command issued; a command due earlier is "out of order". */
  #frontier = 0
  /** Commands up to this seq may be due before the head: the sweep looks at each of them. */
  #unorderedUntil = -1
  readonly #writer = new CommandWriter()
  #scheduled = false
  readonly #flush = () => this.#write()
  // Time as commands experience it: a stretch in which the event loop did not turn counts as
  // two ticks at most, so a busy process does not blame the server for replies it has not read.
  readonly #tickMs: number
  #now = Date.now()
  #lastWall = this.#now
  readonly #sweeper: NodeJS.Timeout
  #open = false
  #dead = false
  #closing: (() => void) | null = null
  readonly #closeListeners: ((error: RedisExpertError) => void)[] = []

  private constructor(settings: ConnectionSettings, socket: Socket) {
    this.endpoint = settings.endpoint
    this.#settings = settings
    this.#socket = socket
    this.#parser = new ReplyParser(this)
    this.#tickMs = tickFor(settings.commandTimeoutMs)
    this.#sweeper = setInterval(() => this.#sweep(), this.#tickMs)
    this.#sweeper.unref()
  }

  /**
   * Connects and runs the handshake, all within `connectTimeoutMs`. Rejects with
   * CONNECTION_FAILED (timeout, refused, TLS, or the server refusing the login; never the
   * password) — the caller decides whether to try again.
   */
  static open(settings: ConnectionSettings): Promise<Connection> {
    const { endpoint } = settings
    const socket = endpoint.tls
      ? tlsConnect({
          host: endpoint.host,
          port: endpoint.port,
          // SNI names a host, never an IP address (RFC 6066); the options may set their own.
          ...(isIP(endpoint.host) ? {} : { servername: endpoint.host }),
          ...endpoint.tls,
        })
      : netConnect({ host: endpoint.host, port: endpoint.port })
    socket.setNoDelay(true)
    socket.setKeepAlive(true, 5000)
    if (settings.unref) socket.unref()
    const connection = new Connection(settings, socket)
    return connection.#start()
  }

  #start(): Promise<Connection> {
    const socket = this.#socket
    const { endpoint, connectTimeoutMs } = this.#settings
    return new Promise((resolve, reject) => {
      let settled = false
      const fail = (reason: string, cause?: unknown) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        const hint =
          reasonCode(reason) === 'refused' ? ` — is a redis-server running at ${endpoint.address}?` : ''
        const failure = new RedisExpertError(
          'CONNECTION_FAILED',
          endpoint.redact(`could not connect to ${endpoint.url}: ${reason}${hint}`),
          { details: { address: endpoint.address, reason: reasonCode(reason) }, cause },
        )
        this.#destroy(failure)
        reject(failure)
      }
      const timer = setTimeout(
        () => fail(`no answer within connectTimeoutMs (${connectTimeoutMs} ms)`),
        connectTimeoutMs,
      )
      socket.on('data', (chunk: Buffer) => this.#receive(chunk))
      socket.on('error', (error: Error) => {
        // The close that follows fails the commands; before the handshake, say why.
        if (!settled) fail(endpoint.redact(error.message))
      })
      socket.on('close', () => {
        if (!settled) fail('the server closed the connection during the handshake')
        this.#destroy(lost('the connection closed'))
      })
      socket.once(endpoint.tls ? 'secureConnect' : 'connect', () => {
        this.#handshake().then(
          () => {
            if (settled) return
            settled = true
            clearTimeout(timer)
            this.#open = true
            resolve(this)
          },
          (error: unknown) =>
            fail(
              error instanceof RedisExpertError
                ? String(error.details.reply ?? error.message)
                : String(error),
            ),
        )
      })
    })
  }

  /** AUTH, CLIENT SETNAME, SELECT, setup and PING, pipelined in one write. */
  async #handshake(): Promise<void> {
    const { endpoint, clientName, setup, connectTimeoutMs } = this.#settings
    const commands: (readonly string[])[] = []
    if (endpoint.password !== undefined)
      commands.push(
        endpoint.username ? ['AUTH', endpoint.username, endpoint.password] : ['AUTH', endpoint.password],
      )
    if (clientName) commands.push(['CLIENT', 'SETNAME', clientName])
    if (endpoint.database !== 0) commands.push(['SELECT', String(endpoint.database)])
    for (const command of setup ?? []) commands.push(command)
    commands.push(['PING'])
    const replies = commands.map((args) => this.#enqueue(args, 0, connectTimeoutMs))
    await Promise.all(replies)
  }

  get address(): string {
    return this.endpoint.address
  }

  /** Open, handshake done, not closing: commands may be sent. */
  get ready(): boolean {
    return this.#open && !this.#dead && this.#closing === null
  }

  get pending(): number {
    return this.#tail - this.#head
  }

  /** Called once when the connection is gone, with why (CONNECTION_LOST, COMMAND_TIMEOUT, CONNECTION_CLOSED). */
  onClose(listener: (error: RedisExpertError) => void): void {
    if (this.#dead) listener(lost('the connection closed'))
    else this.#closeListeners.push(listener)
  }

  /**
   * Sends one command; its reply (or typed error) within `timeoutMs` (default: the
   * connection's command timeout). Bulk strings come back as Buffers with `buffers`.
   */
  send(args: readonly (string | Buffer)[], buffers = false, timeoutMs?: number): Promise<Reply> {
    if (!this.ready) return Promise.reject(this.#notReady(args))
    return this.#enqueue(args, buffers ? BUFFERS : 0, timeoutMs ?? this.#settings.commandTimeoutMs)
  }

  /**
   * Commands written back to back; one promise per command, in order. A command that fails
   * to encode rejects alone.
   */
  sendAll(commands: readonly (readonly (string | Buffer)[])[], buffers = false, timeoutMs?: number) {
    const ms = timeoutMs ?? this.#settings.commandTimeoutMs
    return commands.map((args) =>
      this.ready ? this.#enqueue(args, buffers ? BUFFERS : 0, ms) : Promise.reject(this.#notReady(args)),
    )
  }

  /**
   * A batch for bulk reads (the audit's): the commands written back to back, one promise for
   * all their replies, in order. A command's error reply stays in its place as a ReplyError
   * value (it costs that command only; no redirection is followed). With `latin1`, string
   * arguments and replies are bytes, one char per byte (the codec's latin1 mode). Each command
   * has the batch's deadline; a timeout, a lost connection or a command that cannot be encoded
   * rejects the batch (replies to the commands already written are read and dropped). Nothing
   * is allocated per command beyond its reply: no promise, no closure.
   */
  sendBatch(
    commands: readonly (readonly (string | Buffer)[])[],
    options: { readonly latin1?: boolean; readonly timeoutMs?: number } = {},
  ): Promise<ParsedReply[]> {
    if (!this.ready) return Promise.reject(this.#notReady(commands[0] ?? ['?']))
    const count = commands.length
    if (count === 0) return Promise.resolve([])
    const ms = options.timeoutMs ?? this.#settings.commandTimeoutMs
    const flags = ERROR_VALUE | (options.latin1 === true ? LATIN1 : 0)
    return new Promise((resolve, reject) => {
      // Filled by push, not pre-sized: a packed array, which the caller walks faster.
      const replies: ParsedReply[] = []
      let failed = false
      const collect = (reply: ParsedReply) => {
        replies.push(reply)
        if (replies.length === count && !failed) resolve(replies)
      }
      const fail = (error: unknown) => {
        if (failed) return
        failed = true
        reject(error)
      }
      for (let i = 0; i < count && !failed; i++)
        this.#enqueueWith(commands[i] as readonly (string | Buffer)[], flags, ms, collect, fail)
      // A batch is one write already: out now, not after the loop's next turn, so the server
      // starts on it while this process parses the replies of the one before.
      this.#write()
    })
  }

  /**
   * MULTI, the commands and EXEC in one write. Resolves to EXEC's replies (a failed command's
   * error stays in place, as a ReplyError) or null when a WATCHed key changed; a command the
   * server refused while queueing fails the transaction with its own error.
   */
  transaction(
    commands: readonly (readonly (string | Buffer)[])[],
    buffers = false,
    timeoutMs?: number,
  ): Promise<Reply[] | null> {
    if (!this.ready) return Promise.reject(this.#notReady(['MULTI']))
    const ms = timeoutMs ?? this.#settings.commandTimeoutMs
    const queued = [
      this.#enqueue(['MULTI'], NO_REDIRECT, ms),
      ...commands.map((args) => this.#enqueue(args, NO_REDIRECT, ms)),
    ]
    const exec = this.#enqueue(['EXEC'], NO_REDIRECT | (buffers ? BUFFERS : 0), ms)
    return Promise.allSettled(queued).then(async (results) => {
      const refused = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
      const replies = await exec.catch((error: unknown) => {
        throw refused?.reason ?? error
      })
      if (refused) throw refused.reason
      return replies as Reply[] | null
    })
  }

  /** Ends the connection: commands in flight get up to `timeoutMs` for their replies. Always settles. */
  close(timeoutMs: number): Promise<void> {
    if (this.#dead) return Promise.resolve()
    if (this.#closing === null) {
      const closed = new Promise<void>((resolve) => {
        this.#closing = resolve
      })
      const timer = setTimeout(() => this.#destroy(closedError()), Math.max(0, timeoutMs))
      timer.unref()
      this.onClose(() => clearTimeout(timer))
      if (this.pending === 0) this.#end()
      return closed
    }
    return new Promise((resolve) => this.onClose(() => resolve()))
  }

  /** Drops the socket now; every command in flight fails with `error` (or COMMAND_TIMEOUT if overdue). */
  destroy(error: RedisExpertError = lost('the connection was dropped')): void {
    this.#destroy(error)
  }

  // ---- ReplySink: the parser delivers replies here, in order ----

  replyMode(): ReplyMode {
    if (this.#head === this.#tail)
      return this.#settings.pushBuffers === true ? ReplyMode.buffers : ReplyMode.text
    const flags = this.#flags[this.#head & this.#mask] as number
    return (flags & BUFFERS) !== 0
      ? ReplyMode.buffers
      : (flags & LATIN1) !== 0
        ? ReplyMode.latin1
        : ReplyMode.text
  }

  reply(value: ParsedReply): void {
    if (this.#head === this.#tail || (this.#settings.onPush && isPush(value))) {
      this.#push(value)
      return
    }
    const slot = this.#head++ & this.#mask
    const resolve = this.#resolves[slot] as Resolve
    const flags = this.#flags[slot] as number
    this.#clear(slot)
    if ((flags & ABANDONED) === 0) resolve(value as Reply)
    if (this.#closing && this.#head === this.#tail) this.#end()
  }

  error(error: ReplyError): void {
    if (this.#head === this.#tail) {
      this.#push(error)
      return
    }
    const slot = this.#head++ & this.#mask
    const reject = this.#rejects[slot] as Reject
    const args = this.#commands[slot] as readonly (string | Buffer)[]
    const flags = this.#flags[slot] as number
    const redirect = this.#settings.redirect
    if ((flags & ABANDONED) === 0) {
      if ((flags & ERROR_VALUE) !== 0) (this.#resolves[slot] as Resolve)(error as unknown as Reply)
      else if (redirect !== undefined && (flags & NO_REDIRECT) === 0 && isRedirection(error.message)) {
        const left = Math.max(1, (this.#deadlines[slot] as number) - this.#now - this.#tickMs)
        redirect(
          error.message,
          args,
          (flags & BUFFERS) !== 0,
          left,
          this.#resolves[slot] as Resolve,
          reject,
          this,
        )
      } else reject(commandError(error.message, args, error))
    }
    this.#clear(slot)
    if (this.#closing && this.#head === this.#tail) this.#end()
  }

  #push(value: ParsedReply): void {
    const onPush = this.#settings.onPush
    if (onPush) onPush(value)
    // A reply nobody asked for: the stream is out of step, nothing after it can be trusted.
    else throw new ReplyError('protocol error: a reply no command asked for')
  }

  // ---- internals ----

  #enqueue(args: readonly (string | Buffer)[], flags: number, timeoutMs: number): Promise<Reply> {
    const promise = new Promise<Reply>(capture)
    this.#enqueueWith(args, flags, timeoutMs, captured.resolve, captured.reject)
    return promise
  }

  /**
   * Pub/sub: writes commands whose answers arrive as pushes (SUBSCRIBE, UNSUBSCRIBE...), with
   * no slot in the FIFO. Only on a connection with `onPush`.
   */
  writeUnanswered(args: readonly (string | Buffer)[]): void {
    if (!this.ready || this.#settings.onPush === undefined) return
    this.#writer.add(args)
    if (!this.#scheduled) {
      this.#scheduled = true
      setImmediate(this.#flush)
    }
  }

  /**
   * Sends a command on behalf of a caller whose promise already exists (a Cluster
   * redirection): `asking` sends ASKING right before it, in the same write.
   */
  forward(
    args: readonly (string | Buffer)[],
    buffers: boolean,
    timeoutMs: number,
    resolve: (reply: Reply) => void,
    reject: (error: unknown) => void,
    asking = false,
  ): void {
    if (!this.ready) {
      reject(this.#notReady(args))
      return
    }
    if (asking) this.#enqueueWith(['ASKING'], NO_REDIRECT, timeoutMs, noop, noop)
    this.#enqueueWith(args, buffers ? BUFFERS : 0, timeoutMs, resolve, reject)
  }

  #enqueueWith(
    args: readonly (string | Buffer)[],
    flags: number,
    timeoutMs: number,
    resolve: Resolve,
    reject: Reject,
  ): void {
    try {
      this.#writer.add(args, (flags & LATIN1) !== 0)
    } catch (error) {
      reject(new RedisExpertError('INVALID_ARGUMENT', error instanceof Error ? error.message : String(error)))
      return
    }
    if (this.#tail - this.#head > this.#mask) this.#grow()
    const seq = this.#tail++
    const slot = seq & this.#mask
    const deadline = this.#now + this.#tickMs + timeoutMs
    this.#resolves[slot] = resolve
    this.#rejects[slot] = reject
    this.#commands[slot] = args
    this.#deadlines[slot] = deadline
    this.#flags[slot] = flags
    if (deadline >= this.#frontier) this.#frontier = deadline
    else this.#unorderedUntil = seq
    if (!this.#scheduled) {
      this.#scheduled = true
      setImmediate(this.#flush)
    }
  }

  #write(): void {
    this.#scheduled = false
    const out = this.#writer.take()
    if (out !== null && !this.#dead) this.#socket.write(out)
  }

  #receive(chunk: Buffer): void {
    try {
      this.#parser.push(chunk)
    } catch (error) {
      // The server may have run every command in flight: they are lost, not refused.
      this.#destroy(lost(`protocol error (${error instanceof Error ? error.message : String(error)})`))
    }
  }

  #sweep(): void {
    const wall = Date.now()
    this.#now += Math.min(Math.max(0, wall - this.#lastWall), 2 * this.#tickMs)
    this.#lastWall = wall
    if (this.#head === this.#tail) return
    const now = this.#now
    const mask = this.#mask
    if ((this.#deadlines[this.#head & mask] as number) <= now) {
      // The oldest command is overdue: nothing behind it can be answered.
      this.#destroy(lost('the connection is stuck: a command got no reply within its timeout', 'stuck'))
      return
    }
    if (this.#unorderedUntil < this.#head) return
    for (let seq = this.#head + 1; seq <= this.#unorderedUntil; seq++) {
      const slot = seq & mask
      const flags = this.#flags[slot] as number
      if ((flags & ABANDONED) !== 0 || (this.#deadlines[slot] as number) > now) continue
      this.#flags[slot] = flags | ABANDONED
      ;(this.#rejects[slot] as Reject)(timedOut(this.#commands[slot]?.[0]))
    }
  }

  #notReady(args: readonly (string | Buffer)[]): RedisExpertError {
    const name = argText(args[0]).toUpperCase()
    return this.#closing || this.#dead
      ? new RedisExpertError('CONNECTION_CLOSED', `${name}: the connection to ${this.endpoint.url} is closed`)
      : new RedisExpertError('CONNECTION_UNAVAILABLE', `${name}: not connected to ${this.endpoint.url}`)
  }

  #end(): void {
    this.#socket.end()
    // A server that never closes its side: do not wait for it.
    setTimeout(() => this.#destroy(closedError()), 1000).unref()
  }

  #destroy(error: RedisExpertError): void {
    if (this.#dead) return
    this.#dead = true
    clearInterval(this.#sweeper)
    this.#writer.clear()
    this.#socket.destroy()
    const now = this.#now
    while (this.#head !== this.#tail) {
      const slot = this.#head++ & this.#mask
      const reject = this.#rejects[slot] as Reject
      const flags = this.#flags[slot] as number
      const overdue = (this.#deadlines[slot] as number) <= now
      const name = this.#commands[slot]?.[0]
      this.#clear(slot)
      if ((flags & ABANDONED) === 0) reject(overdue ? timedOut(name) : named(error, name))
    }
    const closing = this.#closing
    if (closing) closing()
    for (const listener of this.#closeListeners.splice(0)) listener(error)
  }

  #clear(slot: number): void {
    this.#resolves[slot] = undefined
    this.#rejects[slot] = undefined
    this.#commands[slot] = undefined
  }

  #grow(): void {
    const size = this.#resolves.length * 2
    const resolves: (Resolve | undefined)[] = new Array(size)
    const rejects: (Reject | undefined)[] = new Array(size)
    const commands: (readonly (string | Buffer)[] | undefined)[] = new Array(size)
    const deadlines = new Float64Array(size)
    const flags = new Uint8Array(size)
    for (let seq = this.#head; seq < this.#tail; seq++) {
      const from = seq & this.#mask
      const to = seq & (size - 1)
      resolves[to] = this.#resolves[from]
      rejects[to] = this.#rejects[from]
      commands[to] = this.#commands[from]
      deadlines[to] = this.#deadlines[from] as number
      flags[to] = this.#flags[from] as number
    }
    this.#resolves = resolves
    this.#rejects = rejects
    this.#commands = commands
    this.#deadlines = deadlines
    this.#flags = flags
    this.#mask = size - 1
  }
}
