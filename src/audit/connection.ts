import { Connection } from '../client/connection.js'
import type { Endpoint } from '../client/endpoint.js'
import type { ParsedReply } from '../client/resp-parser.js'
import { RedisExpertError } from '../errors.js'
import { INSPECT_SCRIPT, INSPECT_SOURCE } from './inspect-script.js'

/**
 * The audit's own connection to one master: a mode of the client's Connection (one codec, one
 * endpoint rule, one bounded open). A batch of commands leaves as one write and comes back as
 * one promise, its strings in the codec's latin1 mode (key names as bytes, without a Buffer
 * per key), instead of a promise, a guard check and a UTF-8 decode per command on the shared
 * client. It exists for speed only, so what it may send is closed:
 *
 * - `AUDIT_COMMANDS` below, checked on every command of every batch before any is written:
 *   SCAN and O(1) reads of one key (TYPE, PTTL, MEMORY USAGE with SAMPLES, OBJECT ENCODING,
 *   the length commands). No write, no KEYS, no unbounded read can leave it, whatever the
 *   caller passes: the hard stops hold by construction, in every guard mode.
 * - It opens like every connection (`Connection.open`): TCP, TLS, AUTH as the client's own
 *   ACL user, SELECT and a PING, all within `connectTimeoutMs` — a server that accepts and
 *   stays silent fails the open. The server applies the client's permissions; a refused
 *   command comes back as a NOPERM reply, in its place, handled as on the client's path.
 * - Each command of a batch has `commandTimeoutMs` from when the batch is sent; a batch not
 *   answered by then fails with COMMAND_TIMEOUT and the connection is dropped.
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

/** An argument: a latin1 string (bytes as chars; plain ASCII is itself). */
export type AuditArg = string

function allowed(args: readonly AuditArg[]): boolean {
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
function scanIsBounded(args: readonly AuditArg[]): boolean {
  return args.length >= 4 && args[2] === 'COUNT'
}

/** Where and how to log in: the client's own endpoint (see client/endpoint.ts) and timeouts. */
export interface AuditConnectionSettings {
  /** The master, with the client's login, TLS and database. */
  readonly endpoint: Endpoint
  /** TCP + TLS + the whole handshake. */
  readonly connectTimeoutMs: number
  /** Each batch's deadline. */
  readonly commandTimeoutMs: number
}

export class AuditConnection {
  readonly #connection: Connection

  private constructor(connection: Connection) {
    this.#connection = connection
  }

  /** `host:port` of the master. */
  get address(): string {
    return this.#connection.address
  }

  /** Connects, logs in and selects the database within `connectTimeoutMs`; rejects with CONNECTION_FAILED. */
  static async open(settings: AuditConnectionSettings): Promise<AuditConnection> {
    const connection = await Connection.open({
      endpoint: settings.endpoint,
      connectTimeoutMs: settings.connectTimeoutMs,
      commandTimeoutMs: settings.commandTimeoutMs,
    })
    return new AuditConnection(connection)
  }

  /**
   * Sends commands back to back in one write; resolves to one reply per command, in order:
   * strings as latin1 (bytes as chars), error replies as ReplyError values. A batch with any
   * command outside AUDIT_COMMANDS is refused whole, nothing of it sent.
   */
  pipeline(commands: readonly (readonly AuditArg[])[]): Promise<ParsedReply[]> {
    for (const args of commands)
      if (!allowed(args))
        return Promise.reject(
          new RedisExpertError(
            'INVALID_ARGUMENT',
            `the audit connection sends only ${[...AUDIT_COMMANDS].join(', ')}`,
          ),
        )
    return this.#connection.sendBatch(commands, { latin1: true })
  }

  /** Closes the connection now; batches still waiting fail. Later batches fail with CONNECTION_CLOSED. */
  close(): void {
    void this.#connection.close(0)
  }
}
