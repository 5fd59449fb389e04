import { isIP, connect as netConnect, type Socket } from 'node:net'
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls'
import { RedisExpertError } from '../errors.js'
import { type WireArg, WireError, WireReader, type WireReply, WireWriter } from './resp.js'
import { INSPECT_SCRIPT, INSPECT_SOURCE } from './scan.js'

/**
 * The audit's own connection to one master: a batch of commands leaves as one Buffer and its
 * replies are decoded in bulk (see resp.ts), instead of a promise, an encoder call and a write
 * per command on the shared client. It exists for speed only, so what it may send is closed:
 *
 * - `AUDIT_COMMANDS` below, checked on every command it encodes: SCAN and O(1) reads of one key
 *   (TYPE, PTTL, MEMORY USAGE with SAMPLES, OBJECT ENCODING, the length commands). No write, no
 *   KEYS, no unbounded read can leave it, whatever the caller passes: the hard stops hold by
 *   construction, in every guard mode.
 * - It logs in as the client's own ACL user, so the server applies the same permissions; a
 *   refused command comes back as a NOPERM reply, handled as on the client's path.
 */

/** What the connection may send, by command (and subcommand). */
const AUDIT_COMMANDS: ReadonlySet<string> = new Set([
  'SCAN',
  'TYPE',
  'PTTL',
  'MEMORY USAGE',
  'OBJECT ENCODING',
  'STRLEN',
  'HLEN',
  'LLEN',
  'SCARD',
  'ZCARD',
  'XLEN',
])

function allowed(args: readonly WireArg[]): boolean {
  const name = args[0]
  if (name === undefined) return false
  // The two subcommands first: they are most of every batch, and need no string built.
  if (name === 'MEMORY') return args[1] === 'USAGE'
  if (name === 'OBJECT') return args[1] === 'ENCODING'
  if (name === 'SCAN') return scanIsBounded(args)
  // The audit's own read-only script and nothing else: EVAL_RO/EVALSHA_RO cannot write.
  if (name === 'EVALSHA_RO') return args[1] === INSPECT_SCRIPT.sha && args[2] === '0'
  if (name === 'EVAL_RO') return args[1] === INSPECT_SOURCE && args[2] === '0'
  return AUDIT_COMMANDS.has(name)
}

/** SCAN cursor COUNT n [TYPE t]: never MATCH-less KEYS in disguise, always a COUNT. */
function scanIsBounded(args: readonly WireArg[]): boolean {
  return args.length >= 4 && args[2] === 'COUNT'
}

/** Where and how to log in: the client's own settings. */
export interface ConnectionSettings {
  /** `host:port` of the master. */
  readonly address: string
  readonly username: string | undefined
  readonly password: string | undefined
  readonly tls: boolean | ConnectionOptions | undefined
  readonly database: number | undefined
  readonly connectTimeoutMs: number
  /** A batch with no reply byte for this long fails with COMMAND_TIMEOUT and the connection is dropped. */
  readonly commandTimeoutMs: number
}

interface Pending {
  readonly count: number
  readonly replies: WireReply[]
  readonly resolve: (replies: WireReply[]) => void
  readonly reject: (error: unknown) => void
}

export class AuditConnection {
  readonly address: string
  readonly #socket: Socket
  readonly #queue: Pending[] = []
  #head = 0
  #failure: RedisExpertError | null = null
  #lastProgress = performance.now()
  readonly #watchdog: NodeJS.Timeout
  readonly #timeoutMs: number
  readonly #writer = new WireWriter(64 * 1024)

  private constructor(socket: Socket, settings: ConnectionSettings) {
    this.address = settings.address
    this.#socket = socket
    this.#timeoutMs = settings.commandTimeoutMs
    const reader = new WireReader((reply) => this.#receive(reply))
    socket.on('data', (chunk: Buffer) => {
      this.#lastProgress = performance.now()
      try {
        reader.feed(chunk)
      } catch (error) {
        this.#fail(
          new RedisExpertError('CONNECTION_LOST', `audit connection to ${this.address}: ${String(error)}`),
        )
      }
    })
    socket.on('error', (error) =>
      this.#fail(
        new RedisExpertError('CONNECTION_LOST', `audit connection to ${this.address}: ${error.message}`),
      ),
    )
    socket.on('close', () =>
      this.#fail(new RedisExpertError('CONNECTION_LOST', `audit connection to ${this.address} closed`)),
    )
    this.#watchdog = setInterval(() => this.#check(), Math.max(10, Math.min(1000, this.#timeoutMs / 4)))
    this.#watchdog.unref()
  }

  /** Connects, logs in and selects the database; rejects with CONNECTION_FAILED. */
  static async open(settings: ConnectionSettings): Promise<AuditConnection> {
    const at = settings.address.lastIndexOf(':')
    const host = settings.address.slice(0, at).replace(/^\[|\]$/g, '')
    const port = Number(settings.address.slice(at + 1))
    const secure = settings.tls !== undefined && settings.tls !== false
    const tlsOptions = typeof settings.tls === 'object' ? settings.tls : {}
    const socket = secure
      ? tlsConnect({ host, port, ...(isIP(host) ? {} : { servername: host }), ...tlsOptions })
      : netConnect({ host, port })
    socket.setNoDelay(true)
    const failed = (reason: string) =>
      new RedisExpertError('CONNECTION_FAILED', `audit connection to ${settings.address}: ${reason}`)
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy()
        reject(failed('connect timeout'))
      }, settings.connectTimeoutMs)
      socket.once(secure ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer)
        socket.removeAllListeners('error')
        resolve()
      })
      socket.once('error', (error) => {
        clearTimeout(timer)
        reject(failed(error.message))
      })
    })
    const connection = new AuditConnection(socket, settings)
    const hello = new WireWriter()
    let count = 0
    if (settings.password !== undefined) {
      const login = settings.username
        ? ['AUTH', settings.username, settings.password]
        : ['AUTH', settings.password]
      hello.command(login.map(utf8AsLatin1))
      count++
    }
    if (settings.database !== undefined && settings.database !== 0) {
      hello.command(['SELECT', String(settings.database)])
      count++
    }
    if (count > 0) {
      try {
        const replies = await connection.#send(hello.take(), count)
        const error = replies.find((r) => r instanceof WireError) as WireError | undefined
        if (error)
          throw failed(error.message.startsWith('WRONGPASS') ? 'authentication failed' : error.message)
      } catch (error) {
        connection.close()
        throw error
      }
    }
    return connection
  }

  /**
   * Sends commands back to back in one write; resolves to one reply per command, in order
   * (error replies as WireError values). Commands outside AUDIT_COMMANDS are refused.
   */
  pipeline(commands: readonly (readonly WireArg[])[]): Promise<WireReply[]> {
    const writer = this.#writer
    for (const args of commands) {
      if (!allowed(args)) {
        writer.take()
        return Promise.reject(
          new RedisExpertError(
            'INVALID_ARGUMENT',
            `the audit connection sends only ${[...AUDIT_COMMANDS].join(', ')}`,
          ),
        )
      }
      writer.command(args)
    }
    return this.#send(writer.take(), commands.length)
  }

  #send(bytes: Buffer, count: number): Promise<WireReply[]> {
    if (this.#failure) return Promise.reject(this.#failure)
    return new Promise((resolve, reject) => {
      if (this.#head === this.#queue.length) this.#lastProgress = performance.now()
      this.#queue.push({ count, replies: [], resolve, reject })
      this.#socket.write(bytes)
    })
  }

  #receive(reply: WireReply): void {
    const pending = this.#queue[this.#head]
    if (!pending) {
      this.#fail(
        new RedisExpertError('CONNECTION_LOST', `audit connection to ${this.address}: unexpected reply`),
      )
      return
    }
    pending.replies.push(reply)
    if (pending.replies.length < pending.count) return
    this.#queue[this.#head] = undefined as unknown as Pending
    this.#head++
    if (this.#head === this.#queue.length) {
      this.#queue.length = 0
      this.#head = 0
    }
    pending.resolve(pending.replies)
  }

  #check(): void {
    if (this.#head === this.#queue.length) return
    if (performance.now() - this.#lastProgress < this.#timeoutMs) return
    this.#fail(
      new RedisExpertError(
        'COMMAND_TIMEOUT',
        `audit connection to ${this.address}: no reply for ${this.#timeoutMs} ms`,
      ),
    )
  }

  #fail(error: RedisExpertError): void {
    if (this.#failure) return
    this.#failure = error
    clearInterval(this.#watchdog)
    this.#socket.destroy()
    const pending = this.#queue.slice(this.#head)
    this.#queue.length = 0
    this.#head = 0
    for (const p of pending) p.reject(error)
  }

  /** Closes the connection; batches still waiting fail with CONNECTION_CLOSED. */
  close(): void {
    this.#fail(new RedisExpertError('CONNECTION_CLOSED', `audit connection to ${this.address} closed`))
  }
}

/** A JS string as its UTF-8 bytes, one char per byte (passwords and names may be any text). */
export function utf8AsLatin1(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1')
}
