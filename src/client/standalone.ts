import type { Reply } from '../common/types.js'
import { RedisExpertError } from '../errors.js'
import type { Connection } from './connection.js'
import { DedicatedPool } from './dedicated.js'
import type { Endpoint } from './endpoint.js'
import { Link, type LinkSettings } from './link.js'
import type { NodeSender, Topology } from './topology.js'

/**
 * One server — a standalone Redis, or (through `locate`) whichever server a Sentinel names
 * master: one shared Link for everyone's commands, and a pool of dedicated connections for
 * WATCH and blocking commands.
 */
export class SingleServer implements Topology {
  readonly kind: 'standalone' | 'sentinel'
  readonly link: Link
  readonly #pool: DedicatedPool
  readonly #settings: LinkSettings

  constructor(kind: 'standalone' | 'sentinel', settings: LinkSettings) {
    this.kind = kind
    this.#settings = settings
    this.link = new Link(settings)
    this.#pool = new DedicatedPool({
      clientName: settings.clientName,
      connectTimeoutMs: settings.connectTimeoutMs,
      commandTimeoutMs: settings.commandTimeoutMs,
    })
  }

  get ready(): boolean {
    return this.link.ready
  }

  connect(): Promise<void> {
    return this.link.connect()
  }

  send(
    args: readonly (string | Buffer)[],
    _key: unknown,
    _readonly: boolean,
    buffers: boolean,
    timeoutMs: number,
  ): Promise<Reply> {
    return this.link.send(args, buffers, timeoutMs)
  }

  transaction(
    commands: readonly (readonly (string | Buffer)[])[],
    _key: unknown,
    buffers: boolean,
    timeoutMs: number,
  ): Promise<Reply[]> {
    return transactionOn(this.link.connection, commands, buffers, timeoutMs)
  }

  waitReady(ms: number): Promise<boolean> {
    return this.link.waitReady(ms)
  }

  async masters(): Promise<NodeSender[]> {
    const link = this.link
    return [
      {
        address: link.endpoint?.address ?? '?',
        send: (args, buffers, timeoutMs) => link.send(args, buffers, timeoutMs),
        transaction: (commands, buffers, timeoutMs) =>
          transactionOn(link.connection, commands, buffers, timeoutMs),
      },
    ]
  }

  async dedicated<T>(
    _key: unknown,
    fn: (connection: Connection) => Promise<T>,
    reset?: readonly string[],
  ): Promise<T> {
    const endpoint: Endpoint = this.link.endpoint ?? (await this.#settings.locate())
    return this.#pool.use(endpoint, fn, reset)
  }

  locateNode(): Endpoint | Promise<Endpoint> {
    return this.link.endpoint ?? this.#settings.locate()
  }

  async close(): Promise<void> {
    await Promise.all([this.#pool.close(this.#settings.closeTimeoutMs), this.link.close()])
  }

  onStateChange(listener: (state: 'ready' | 'disconnected', error?: RedisExpertError) => void): void {
    this.link.onStateChange(listener)
  }
}

/** MULTI/EXEC on `connection`; an aborted EXEC (only a WATCH can abort it) is an error here. */
export async function transactionOn(
  connection: Connection | null,
  commands: readonly (readonly (string | Buffer)[])[],
  buffers: boolean,
  timeoutMs: number,
): Promise<Reply[]> {
  if (connection === null)
    throw new RedisExpertError(
      'CONNECTION_UNAVAILABLE',
      'MULTI: not connected; the transaction was not sent',
      {
        details: { command: 'MULTI' },
      },
    )
  const replies = await connection.transaction(commands, buffers, timeoutMs)
  if (replies === null) throw new RedisExpertError('TX_CONFLICT', 'EXEC was aborted: a watched key changed')
  return replies
}
