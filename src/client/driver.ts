import { setTimeout as sleep } from 'node:timers/promises'
import { createClient, createCluster, RESP_TYPES, WatchError } from 'redis'
import { keySlot } from '../keyspace/slot.js'
import type { ResolvedOptions } from './options.js'
import type { Reply } from './types.js'

/**
 * The only place that knows node-redis (Cluster, the `transport: 'node-redis'` standalone
 * fallback, and the pooled connections of WATCH transactions). Everything above talks to a
 * `Driver`: the default standalone transport, RespDriver (resp-driver.ts), sits behind the same edge.
 */
export interface Driver {
  readonly ready: boolean
  connect(): Promise<void>
  /** One command; `firstKey` routes it on a Cluster. */
  send(
    args: readonly (string | Buffer)[],
    firstKey: string | Buffer | undefined,
    readonly: boolean,
    buffers: boolean,
  ): Promise<Reply>
  /** A MULTI/EXEC (atomic) or plain pipeline for commands that share one slot. */
  sendBatch(
    commands: readonly (readonly (string | Buffer)[])[],
    firstKey: string | Buffer | undefined,
    atomic: boolean,
    buffers: boolean,
  ): Promise<Reply[]>
  /** Waits up to `ms` for the connection to be ready; false when it is not. */
  waitReady(ms: number): Promise<boolean>
  /** One sender per master, for commands that must reach every master (probe, SCAN). */
  masters(): Promise<NodeSender[]>
  /**
   * Runs `fn` on a connection nobody else uses meanwhile (WATCH is per connection): to the
   * server, or on a Cluster to the master that owns `firstKey`'s slot.
   */
  isolated<T>(firstKey: string | undefined, fn: (connection: IsolatedConnection) => Promise<T>): Promise<T>
  /** Drops the current connection(s) and connects afresh; every pending command fails. */
  recycle(): void
  close(): Promise<void>
  onStateChange(listener: (state: 'ready' | 'disconnected', error?: unknown) => void): void
}

export interface IsolatedConnection {
  send(args: readonly (string | Buffer)[]): Promise<Reply>
  /** MULTI … EXEC; null when EXEC was aborted because a watched key changed. */
  exec(commands: readonly (readonly (string | Buffer)[])[]): Promise<Reply[] | null>
}

/**
 * Connections for isolated work, by server address, reused: opening one per transaction
 * would cost a TCP and AUTH handshake each time.
 */
export class IsolatedPool {
  readonly #idle = new Map<string, StandaloneClient[]>()
  readonly #open: (url: string) => StandaloneClient
  #closed = false

  constructor(open: (url: string) => StandaloneClient) {
    this.#open = open
  }

  async use<T>(url: string, fn: (connection: IsolatedConnection) => Promise<T>): Promise<T> {
    const idle = this.#idle.get(url) ?? []
    const client = idle.pop() ?? (await this.#connect(url))
    let healthy = true
    try {
      return await fn({
        send: (args) => client.sendCommand(args as (string | Buffer)[]) as Promise<Reply>,
        exec: async (commands) => {
          const multi = client.multi()
          for (const args of commands) multi.addCommand(args as (string | Buffer)[])
          try {
            return (await multi.exec()) as unknown as Reply[]
          } catch (error) {
            if (error instanceof WatchError) return null
            throw error
          }
        },
      })
    } catch (error) {
      healthy = client.isReady
      throw error
    } finally {
      // A connection may still hold a WATCH if fn failed between WATCH and EXEC: clear it.
      if (healthy && client.isReady && !this.#closed && idle.length < 4) {
        await client.sendCommand(['UNWATCH']).catch(() => {})
        idle.push(client)
        this.#idle.set(url, idle)
      } else client.destroy()
    }
  }

  async #connect(url: string): Promise<StandaloneClient> {
    const client = this.#open(url)
    client.on('error', () => {})
    await client.connect()
    return client
  }

  async close(): Promise<void> {
    this.#closed = true
    const all = [...this.#idle.values()].flat()
    this.#idle.clear()
    await Promise.all(all.map((c) => c.close().catch(() => c.destroy())))
  }
}

export interface NodeSender {
  readonly address: string
  send(args: readonly (string | Buffer)[], buffers?: boolean): Promise<Reply>
  sendBatch(
    commands: readonly (readonly (string | Buffer)[])[],
    atomic: boolean,
    buffers: boolean,
  ): Promise<Reply[]>
}

/** A node-redis connection to one server, seen as a NodeSender. */
function nodeSender(address: string, client: StandaloneClient): NodeSender {
  return {
    address,
    send: (args, buffers) =>
      client.sendCommand(
        args as (string | Buffer)[],
        buffers ? { typeMapping: BUFFER_REPLIES } : undefined,
      ) as Promise<Reply>,
    sendBatch: (commands, atomic, buffers) => runMulti(client, commands, atomic, buffers),
  }
}

async function runMulti(
  client: StandaloneClient,
  commands: readonly (readonly (string | Buffer)[])[],
  atomic: boolean,
  buffers: boolean,
): Promise<Reply[]> {
  const multi = (buffers ? client.withTypeMapping(BUFFER_REPLIES) : client).multi()
  for (const args of commands) multi.addCommand(args as (string | Buffer)[])
  return (atomic ? await multi.exec() : await multi.execAsPipeline()) as unknown as Reply[]
}

const BUFFER_REPLIES = { [RESP_TYPES.BLOB_STRING]: Buffer } as const

/** Capped exponential backoff with jitter (50–100 % of the step), so clients do not reconnect in lockstep. */
export function backoffDelay(retries: number, baseMs: number, maxMs: number): number {
  const step = Math.min(maxMs, baseMs * 2 ** Math.min(retries, 30))
  return Math.round(step * (0.5 + Math.random() / 2))
}

function reconnectStrategy(options: ResolvedOptions, connectedOnce: () => boolean) {
  return (retries: number, cause: Error): number | Error => {
    // The first connection fails fast so that connect() reports a wrong address or password;
    // once connected, the client keeps trying for as long as it lives.
    if (!connectedOnce() && retries >= options.connectRetries) return cause
    return backoffDelay(retries, options.reconnect.baseDelayMs, options.reconnect.maxDelayMs)
  }
}

function socketOptions(options: ResolvedOptions, connectedOnce: () => boolean) {
  const tls = options.tls
  return {
    connectTimeout: options.connectTimeoutMs,
    reconnectStrategy: reconnectStrategy(options, connectedOnce),
    ...(tls ? { tls: true as const, ...(typeof tls === 'object' ? tls : {}) } : {}),
  }
}

function clientOptions(options: ResolvedOptions, connectedOnce: () => boolean) {
  return {
    RESP: 2 as const,
    socket: socketOptions(options, connectedOnce),
    // Commands fail fast while disconnected; the client above decides how long to wait.
    disableOfflineQueue: true,
    // Timeouts are enforced by DeadlineTracker without a timer per command.
    commandOptions: { timeout: 0 },
    ...(options.username !== undefined ? { username: options.username } : {}),
    ...(options.password !== undefined ? { password: options.password } : {}),
    ...(options.clientName !== undefined ? { name: options.clientName } : {}),
    maintNotifications: 'disabled' as const,
    disableClientInfo: true,
  }
}

type StateListener = (state: 'ready' | 'disconnected', error?: unknown) => void

export function openStandalone(url: string, options: ResolvedOptions, connectedOnce: () => boolean) {
  return createClient({
    url,
    ...clientOptions(options, connectedOnce),
    ...(options.database !== undefined ? { database: options.database } : {}),
  })
}
export type StandaloneClient = ReturnType<typeof openStandalone>

export class StandaloneDriver implements Driver {
  readonly #url: string
  readonly #options: ResolvedOptions
  readonly #listeners: StateListener[] = []
  #client: StandaloneClient
  #connectedOnce = false
  #closed = false
  readonly #isolated: IsolatedPool

  constructor(url: string, options: ResolvedOptions) {
    this.#url = url
    this.#options = options
    this.#client = this.#open()
    this.#isolated = new IsolatedPool((target) => openStandalone(target, options, () => true))
  }

  isolated<T>(_firstKey: string | undefined, fn: (connection: IsolatedConnection) => Promise<T>): Promise<T> {
    return this.#isolated.use(this.#url, fn)
  }

  #open(): StandaloneClient {
    const client = openStandalone(this.#url, this.#options, () => this.#connectedOnce)
    client.on('error', (error: unknown) => this.#emit('disconnected', error))
    client.on('ready', () => {
      this.#connectedOnce = true
      this.#emit('ready')
    })
    return client
  }

  #emit(state: 'ready' | 'disconnected', error?: unknown) {
    for (const listener of this.#listeners) listener(state, error)
  }

  get ready(): boolean {
    return this.#client.isReady
  }

  async connect(): Promise<void> {
    await this.#client.connect()
  }

  send(
    args: readonly (string | Buffer)[],
    _firstKey: unknown,
    _readonly: boolean,
    buffers: boolean,
  ): Promise<Reply> {
    return this.#client.sendCommand(
      args as (string | Buffer)[],
      buffers ? { typeMapping: BUFFER_REPLIES } : undefined,
    ) as Promise<Reply>
  }

  sendBatch(
    commands: readonly (readonly (string | Buffer)[])[],
    _firstKey: unknown,
    atomic: boolean,
    buffers: boolean,
  ): Promise<Reply[]> {
    return runMulti(this.#client, commands, atomic, buffers)
  }

  async waitReady(ms: number): Promise<boolean> {
    return waitFor(() => this.#client.isReady, ms)
  }

  async masters(): Promise<NodeSender[]> {
    return [nodeSender(new URL(this.#url).host, this.#client)]
  }

  recycle(): void {
    if (this.#closed) return
    const old = this.#client
    this.#client = this.#open()
    old.destroy()
    this.#client.connect().catch(() => {
      // Reconnection continues under the reconnect strategy; callers see CONNECTION_UNAVAILABLE meanwhile.
    })
  }

  async close(): Promise<void> {
    this.#closed = true
    await this.#isolated.close()
    if (this.#client.isOpen) await this.#client.close().catch(() => this.#client.destroy())
  }

  onStateChange(listener: StateListener): void {
    this.#listeners.push(listener)
  }
}

function openCluster(
  rootNodes: readonly string[],
  useReplicas: boolean,
  options: ResolvedOptions,
  connectedOnce: () => boolean,
) {
  return createCluster({
    rootNodes: rootNodes.map((url) => ({ url })),
    useReplicas,
    RESP: 2 as const,
    defaults: clientOptions(options, connectedOnce),
    commandOptions: { timeout: 0 },
  })
}
type ClusterClient = ReturnType<typeof openCluster>

export class ClusterDriver implements Driver {
  readonly #rootNodes: readonly string[]
  readonly #useReplicas: boolean
  readonly #options: ResolvedOptions
  readonly #listeners: StateListener[] = []
  #cluster: ClusterClient
  #connectedOnce = false
  #closed = false
  readonly #isolated: IsolatedPool

  constructor(rootNodes: readonly string[], useReplicas: boolean, options: ResolvedOptions) {
    this.#rootNodes = rootNodes
    this.#useReplicas = useReplicas
    this.#options = options
    this.#cluster = this.#open()
    this.#isolated = new IsolatedPool((target) => openStandalone(target, options, () => true))
  }

  isolated<T>(firstKey: string | undefined, fn: (connection: IsolatedConnection) => Promise<T>): Promise<T> {
    const master = this.#cluster.getSlotMaster(firstKey === undefined ? 0 : keySlot(firstKey))
    const scheme = this.#options.tls ? 'rediss' : 'redis'
    return this.#isolated.use(`${scheme}://${master.host}:${master.port}`, fn)
  }

  #open(): ClusterClient {
    const cluster = openCluster(this.#rootNodes, this.#useReplicas, this.#options, () => this.#connectedOnce)
    cluster.on('error', (error: unknown) => {
      for (const listener of this.#listeners) listener('disconnected', error)
    })
    return cluster
  }

  get ready(): boolean {
    return this.#cluster.isReady
  }

  async connect(): Promise<void> {
    await this.#cluster.connect()
    this.#connectedOnce = true
    for (const listener of this.#listeners) listener('ready')
  }

  send(
    args: readonly (string | Buffer)[],
    firstKey: string | Buffer | undefined,
    readonly: boolean,
    buffers: boolean,
  ): Promise<Reply> {
    return this.#cluster.sendCommand(
      firstKey,
      readonly,
      args as (string | Buffer)[],
      buffers ? { typeMapping: BUFFER_REPLIES } : undefined,
    ) as Promise<Reply>
  }

  async sendBatch(
    commands: readonly (readonly (string | Buffer)[])[],
    firstKey: string | Buffer | undefined,
    atomic: boolean,
    buffers: boolean,
  ): Promise<Reply[]> {
    const cluster = buffers ? this.#cluster.withTypeMapping(BUFFER_REPLIES) : this.#cluster
    const multi = cluster.multi(firstKey)
    for (const args of commands) multi.addCommand(firstKey, false, args as (string | Buffer)[])
    return (atomic ? await multi.exec() : await multi.execAsPipeline()) as unknown as Reply[]
  }

  async waitReady(ms: number): Promise<boolean> {
    return waitFor(() => this.#cluster.isReady, ms)
  }

  async masters(): Promise<NodeSender[]> {
    return Promise.all(
      this.#cluster.masters.map(async (master) =>
        nodeSender(
          `${master.host}:${master.port}`,
          (await this.#cluster.nodeClient(master)) as StandaloneClient,
        ),
      ),
    )
  }

  recycle(): void {
    if (this.#closed) return
    const old = this.#cluster
    this.#cluster = this.#open()
    old.destroy()
    this.connect().catch(() => {})
  }

  async close(): Promise<void> {
    this.#closed = true
    await this.#isolated.close()
    await this.#cluster.close().catch(() => this.#cluster.destroy())
  }

  onStateChange(listener: StateListener): void {
    this.#listeners.push(listener)
  }
}

/**
 * Resolves true as soon as `isReady()` holds, false after `ms`. Polls: it runs only while
 * disconnected, and the cluster client has no single 'ready' event to wait for.
 */
async function waitFor(isReady: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms
  while (!isReady()) {
    if (Date.now() >= deadline) return false
    await sleep(Math.min(10, Math.max(1, deadline - Date.now())))
  }
  return true
}
