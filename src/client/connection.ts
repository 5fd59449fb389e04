import type { Socket } from 'node:net'
import type { Reply } from '../common/types.js'
import { RedisExpertError } from '../errors.js'
import { argText } from './command-info.js'
import { closedError, isPush, isRedirection, lost } from './connection-failures.js'
import {
  type ConnectionSettings,
  handshakeCommands,
  openSocket,
  type Resend,
  runOpening,
} from './connection-open.js'
import type { Endpoint } from './endpoint.js'
import { commandError } from './errors.js'
import {
  ABANDONED,
  BUFFERS,
  capture,
  captured,
  ERROR_VALUE,
  InFlight,
  LATIN1,
  NO_REDIRECT,
  noop,
  type Reject,
  type Resolve,
} from './in-flight.js'
import { type ParsedReply, ReplyError, ReplyMode, ReplyParser, type ReplySink } from './resp-parser.js'
import { CommandWriter } from './resp-writer.js'

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
 *   reject, name, deadline, flags; in-flight.ts): no object per command beyond its promise.
 *   Commands leave at the end of the tick on an idle connection (no turn of the event loop
 *   added to a lone request); under load, the commands of one turn share one write.
 * - **Every command has its own deadline**, checked by one sweep per tick (in-flight.ts), not a
 *   timer per command. When the oldest command is past its deadline nothing behind it can be
 *   answered: the connection is stuck (server paused, half-open socket) and is dropped; overdue
 *   commands fail with COMMAND_TIMEOUT, the rest with CONNECTION_LOST. A command whose deadline is
 *   earlier than that of a command ahead of it (a short timeout behind a long one) fails alone
 *   at its own deadline; its reply, when it comes, is read and discarded. A long timeout on one
 *   call therefore never delays another call's COMMAND_TIMEOUT.
 * - **Every failure is typed** at the source: COMMAND_ERROR (a Redis error reply, with its
 *   code), COMMAND_TIMEOUT, CONNECTION_LOST (sent; it may or may not have run — also after a
 *   protocol error, since the server may have run it), CONNECTION_CLOSED.
 * - **close() is bounded**: commands in flight get up to `closeTimeoutMs` to be answered, then
 *   the socket is destroyed and they fail.
 */
export class Connection extends InFlight implements ReplySink {
  readonly endpoint: Endpoint
  readonly #settings: ConnectionSettings
  readonly #socket: Socket
  readonly #parser: ReplyParser
  readonly #writer = new CommandWriter()
  #scheduled = false
  readonly #flush = () => this.#write()
  readonly #sweeper: NodeJS.Timeout
  #open = false
  #dead = false
  #closing: (() => void) | null = null
  readonly #closeListeners: ((error: RedisExpertError) => void)[] = []

  private constructor(settings: ConnectionSettings, socket: Socket) {
    super(settings.commandTimeoutMs)
    this.endpoint = settings.endpoint
    this.#settings = settings
    this.#socket = socket
    this.#parser = new ReplyParser(this)
    this.#sweeper = setInterval(() => this.#sweep(), this.tickMs)
    this.#sweeper.unref()
  }

  /**
   * Connects and runs the handshake, all within `connectTimeoutMs`. Rejects with
   * CONNECTION_FAILED (timeout, refused, TLS, or the server refusing the login; never the
   * password) — the caller decides whether to try again.
   */
  static open(settings: ConnectionSettings): Promise<Connection> {
    const connection = new Connection(settings, openSocket(settings))
    return runOpening(connection.#socket, settings, {
      receive: (chunk) => connection.#receive(chunk),
      handshake: () => connection.#handshake(),
      opened: () => {
        connection.#open = true
      },
      destroy: (error) => connection.#destroy(error),
    }).then(() => connection)
  }

  /** The handshake (connection-open.ts), pipelined in one write. */
  async #handshake(): Promise<void> {
    const { connectTimeoutMs } = this.#settings
    const replies = handshakeCommands(this.#settings).map((args) => this.#enqueue(args, 0, connectTimeoutMs))
    await Promise.all(replies)
  }

  get address(): string {
    return this.endpoint.address
  }

  /** Open, handshake done, not closing: commands may be sent. */
  get ready(): boolean {
    return this.#open && !this.#dead && this.#closing === null
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
    if (this.head === this.tail)
      return this.#settings.pushBuffers === true ? ReplyMode.buffers : ReplyMode.text
    const flags = this.flags[this.head & this.mask] as number
    return (flags & BUFFERS) !== 0
      ? ReplyMode.buffers
      : (flags & LATIN1) !== 0
        ? ReplyMode.latin1
        : ReplyMode.text
  }

  reply(value: ParsedReply): void {
    if (this.head === this.tail || (this.#settings.onPush && isPush(value))) {
      this.#push(value)
      return
    }
    const slot = this.head++ & this.mask
    const resolve = this.resolves[slot] as Resolve
    const flags = this.flags[slot] as number
    this.clear(slot)
    if ((flags & ABANDONED) === 0) resolve(value as Reply)
    if (this.#closing && this.head === this.tail) this.#end()
  }

  error(error: ReplyError): void {
    if (this.head === this.tail) {
      this.#push(error)
      return
    }
    const slot = this.head++ & this.mask
    const reject = this.rejects[slot] as Reject
    const args = this.commands[slot] as readonly (string | Buffer)[]
    const flags = this.flags[slot] as number
    const redirect = this.#settings.redirect
    if ((flags & ABANDONED) === 0) {
      if ((flags & ERROR_VALUE) !== 0) (this.resolves[slot] as Resolve)(error as unknown as Reply)
      else if (redirect !== undefined && (flags & NO_REDIRECT) === 0 && isRedirection(error.message)) {
        const left = Math.max(1, (this.deadlines[slot] as number) - this.now - this.tickMs)
        const call = {
          args,
          buffers: (flags & BUFFERS) !== 0,
          timeoutMs: left,
          resolve: this.resolves[slot] as Resolve,
          reject,
        }
        redirect(error.message, call, this)
      } else reject(commandError(error.message, args, error))
    }
    this.clear(slot)
    if (this.#closing && this.head === this.tail) this.#end()
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
    if (!this.#scheduled) this.#schedule(this.head === this.tail)
  }

  /**
   * Sends a command on behalf of a caller whose promise already exists (a Cluster
   * redirection): `asking` sends ASKING right before it, in the same write.
   */
  forward(call: Resend, asking = false): void {
    if (!this.ready) {
      call.reject(this.#notReady(call.args))
      return
    }
    if (asking) this.#enqueueWith(['ASKING'], NO_REDIRECT, call.timeoutMs, noop, noop)
    this.#enqueueWith(call.args, call.buffers ? BUFFERS : 0, call.timeoutMs, call.resolve, call.reject)
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
    // The slot (in-flight.ts), written here: the hot path stays one method.
    if (this.tail - this.head > this.mask) this.grow()
    const seq = this.tail++
    const slot = seq & this.mask
    const deadline = this.now + this.tickMs + timeoutMs
    this.resolves[slot] = resolve
    this.rejects[slot] = reject
    this.commands[slot] = args
    this.deadlines[slot] = deadline
    this.flags[slot] = flags
    if (deadline >= this.frontier) this.frontier = deadline
    else this.unorderedUntil = seq
    if (!this.#scheduled) this.#schedule(seq === this.head)
  }

  /**
   * Writes what was added, once per turn. On an idle connection (nothing else awaits a reply)
   * at the end of this tick: a lone request, or a batch added in one go, leaves without waiting
   * a turn of the event loop. Under load (replies pending) after the turn's I/O (setImmediate),
   * so that every command of the turn shares one write.
   */
  #schedule(idle: boolean): void {
    this.#scheduled = true
    if (idle) process.nextTick(this.#flush)
    else setImmediate(this.#flush)
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
    if (this.sweep())
      this.#destroy(lost('the connection is stuck: a command got no reply within its timeout', 'stuck'))
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
    this.failAll(error)
    const closing = this.#closing
    if (closing) closing()
    for (const listener of this.#closeListeners.splice(0)) listener(error)
  }
}
