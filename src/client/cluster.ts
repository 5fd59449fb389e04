import { keySlot } from '../common/slot.js'
import type { Reply } from '../common/types.js'
import { RedisExpertError } from '../errors.js'
import { parseRedirection, SLOT_COUNT } from './cluster-map.js'
import { fetchSlotMap } from './cluster-map-fetch.js'
import type { Connection } from './connection.js'
import type { Redirect, Resend } from './connection-open.js'
import { DedicatedPool } from './dedicated.js'
import { type Endpoint, parseAddress } from './endpoint.js'
import { commandError } from './errors.js'
import { Link, type LinkSettings, withTimeout } from './link.js'
import { transactionOn } from './standalone.js'
import type { NodeSender, Topology } from './topology.js'

export interface ClusterSettings extends Omit<LinkSettings, 'locate' | 'redirect'> {
  /** How long a command for a slot whose master is unreachable waits for it (or a failover). */
  readonly offlineWaitMs: number
}

/**
 * Redirections one command may follow: a safety net. With pauses capped at 200 ms, the
 * command's own deadline is what ends a long bounce.
 */
const MAX_REDIRECTIONS = 64
/** Redirections followed at once; past them each waits (20 ms, doubling to 200): owners that disagree mid-migration. */
const EAGER_REDIRECTIONS = 2
/** Pause before retrying after TRYAGAIN / CLUSTERDOWN / LOADING. */
const RETRY_PAUSE_MS = 50
/** Least time between two slot-map reloads. */
const REFRESH_GAP_MS = 100
/** A reload now and then, for what no error announces (a replica added, a node back). */
const PERIODIC_REFRESH_MS = 15_000

/**
 * A Redis Cluster, on the toolkit's own connections: one Link (connection that comes back) per
 * master — and per replica with `useReplicas` —, and a table of 16384 slots pointing at them.
 *
 * - Routing costs one CRC16 and one array read: `send` goes straight to the owner's
 *   Connection. Commands of one tick to one node leave in one write, so a pipeline is split
 *   per master and sent to all of them in parallel by construction.
 * - `MOVED` updates that slot at once, schedules a reload of the whole map, and resends;
 *   `ASK` sends `ASKING` + the command to the importing node, once; `TRYAGAIN`,
 *   `CLUSTERDOWN` and `LOADING` retry after a pause. All within the command's own deadline,
 *   at most MAX_REDIRECTIONS times — after the first two with a growing pause, since nodes
 *   that disagree about a slot mid-migration bounce a command between them until they agree.
 *   The Connection hands these replies over without an extra promise per command (see
 *   `redirect` in connection-open.ts).
 * - A master that drops triggers map reloads (with a gap between them) until a replica's
 *   promotion shows in the map; commands for its slots wait up to `offlineWaitMs`.
 * - The map comes from `CLUSTER SHARDS`, or `CLUSTER SLOTS` where SHARDS is unknown
 *   (cluster-map-fetch.ts).
 */
export class ClusterTopology implements Topology {
  readonly kind = 'cluster' as const
  readonly #roots: readonly Endpoint[]
  readonly #useReplicas: boolean
  readonly #settings: ClusterSettings
  readonly #links = new Map<string, Link>()
  #slots: (Link | undefined)[] = new Array(SLOT_COUNT)
  #replicas: (readonly Link[] | undefined)[] = new Array(SLOT_COUNT)
  #masters: Link[] = []
  #loaded = false
  #closed = false
  #refreshing: Promise<void> | null = null
  #lastRefresh = 0
  #refreshTimer: NodeJS.Timeout | null = null
  #periodic: NodeJS.Timeout | null = null
  #turn = 0
  readonly #pool: DedicatedPool
  readonly #listeners: ((state: 'ready' | 'disconnected', error?: RedisExpertError) => void)[] = []
  readonly #redirections = new WeakMap<readonly (string | Buffer)[], number>()

  constructor(roots: readonly Endpoint[], useReplicas: boolean, settings: ClusterSettings) {
    this.#roots = roots
    this.#useReplicas = useReplicas
    this.#settings = settings
    this.#pool = new DedicatedPool({
      clientName: settings.clientName,
      connectTimeoutMs: settings.connectTimeoutMs,
      commandTimeoutMs: settings.commandTimeoutMs,
    })
  }

  get ready(): boolean {
    return this.#loaded && !this.#closed
  }

  async connect(): Promise<void> {
    const budget = this.#settings.connectTimeoutMs
    const started = Date.now()
    await withTimeout(this.#reload(), budget)
    this.#periodic = setInterval(() => this.#scheduleRefresh(), PERIODIC_REFRESH_MS)
    this.#periodic.unref()
    // Every master once, within what is left of the budget: a Cluster with a master that
    // cannot be reached is reported now, not discovered command by command.
    await Promise.all(
      this.#masters.map((link) =>
        link.waitReady(Math.max(1, budget - (Date.now() - started))).then((ready) => {
          if (!ready)
            throw new RedisExpertError(
              'CONNECTION_FAILED',
              `could not connect to Cluster master ${link.endpoint?.url ?? '?'} within connectTimeoutMs`,
              { details: { reason: 'timeout' } },
            )
        }),
      ),
    )
  }

  send(
    args: readonly (string | Buffer)[],
    key: string | Buffer | undefined,
    readonly: boolean,
    buffers: boolean,
    timeoutMs: number,
  ): Promise<Reply> {
    const slot = key === undefined ? -1 : keySlot(key)
    const link = this.#linkFor(slot, readonly)
    const connection = link?.connection
    if (connection) return connection.send(args, buffers, timeoutMs)
    return this.#sendLater(args, slot, readonly, buffers, timeoutMs)
  }

  async transaction(
    commands: readonly (readonly (string | Buffer)[])[],
    key: string | Buffer | undefined,
    buffers: boolean,
    timeoutMs: number,
  ): Promise<Reply[]> {
    const slot = key === undefined ? -1 : keySlot(key)
    const deadline = Date.now() + timeoutMs
    for (let attempt = 1; ; attempt++) {
      const link = await this.#readyLink(slot, deadline)
      try {
        return await transactionOn(link.connection, commands, buffers, Math.max(1, deadline - Date.now()))
      } catch (error) {
        // A slot that moved under the transaction: reload the map and run it on the new owner.
        const code = error instanceof RedisExpertError ? String(error.details.redisCode ?? '') : ''
        const moved = code === 'MOVED' || code === 'ASK' || code === 'TRYAGAIN' || code === 'CLUSTERDOWN'
        if (!moved || attempt >= MAX_REDIRECTIONS || Date.now() >= deadline) throw error
        await this.#refreshNow()
        await pause(RETRY_PAUSE_MS)
      }
    }
  }

  waitReady(ms: number): Promise<boolean> {
    return Promise.resolve(this.ready || ms < 0)
  }

  async masters(): Promise<NodeSender[]> {
    return this.#masters.map((link) => ({
      address: link.endpoint?.address ?? '?',
      send: (args, buffers, timeoutMs) => link.send(args, buffers, timeoutMs),
      transaction: (commands, buffers, timeoutMs) =>
        transactionOn(link.connection, commands, buffers, timeoutMs),
    }))
  }

  async dedicated<T>(
    key: string | Buffer | undefined,
    fn: (connection: Connection) => Promise<T>,
    reset?: readonly string[],
  ): Promise<T> {
    const slot = key === undefined ? -1 : keySlot(key)
    const link = await this.#readyLink(slot, Date.now() + this.#settings.offlineWaitMs)
    return this.#pool.use(link.endpoint as Endpoint, fn, reset)
  }

  locateNode(attempt: number): Endpoint {
    const live = this.#masters.filter((link) => link.ready)
    const link = live[attempt % Math.max(1, live.length)]
    return link?.endpoint ?? (this.#roots[attempt % this.#roots.length] as Endpoint)
  }

  /** The master that owns `slot` (where SSUBSCRIBE for its channels goes); `refresh` reloads the map first. */
  async endpointForSlot(slot: number, refresh = false): Promise<Endpoint | undefined> {
    if (refresh && !this.#closed) await this.#refreshNow().catch(() => {})
    return this.#slots[slot]?.endpoint ?? undefined
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    if (this.#refreshTimer) clearTimeout(this.#refreshTimer)
    if (this.#periodic) clearInterval(this.#periodic)
    await Promise.all([
      this.#pool.close(this.#settings.closeTimeoutMs),
      ...[...this.#links.values()].map((link) => link.close()),
    ])
  }

  onStateChange(listener: (state: 'ready' | 'disconnected', error?: RedisExpertError) => void): void {
    this.#listeners.push(listener)
  }

  // ---- routing ----

  #linkFor(slot: number, readonly: boolean): Link | undefined {
    if (slot < 0) {
      const masters = this.#masters
      return masters[this.#turn++ % masters.length]
    }
    if (readonly && this.#useReplicas) {
      const replicas = this.#replicas[slot]
      if (replicas && replicas.length > 0) {
        const replica = replicas[this.#turn++ % replicas.length] as Link
        if (replica.ready) return replica
      }
    }
    return this.#slots[slot]
  }

  /** The slot's owner once it is connected; waits (reloading the map) up to `deadline`. */
  async #readyLink(slot: number, deadline: number): Promise<Link> {
    for (;;) {
      const link = this.#linkFor(slot, false)
      if (link?.ready) return link
      const left = Math.min(deadline, Date.now() + this.#settings.offlineWaitMs) - Date.now()
      if (left <= 0 || this.#closed) throw this.#unavailable(slot)
      this.#scheduleRefresh()
      if (link) await link.waitReady(Math.min(left, 100))
      else await pause(Math.min(left, 20))
    }
  }

  async #sendLater(
    args: readonly (string | Buffer)[],
    slot: number,
    readonly: boolean,
    buffers: boolean,
    timeoutMs: number,
  ): Promise<Reply> {
    if (this.#closed)
      throw new RedisExpertError(
        'CONNECTION_CLOSED',
        `${String(args[0]).toUpperCase()}: the client is closed`,
      )
    const started = Date.now()
    const link = await this.#readyLink(slot, started + timeoutMs)
    const connection = (readonly && this.#linkFor(slot, true)?.connection) || link.connection
    if (!connection) throw this.#unavailable(slot)
    return connection.send(args, buffers, Math.max(1, timeoutMs - (Date.now() - started)))
  }

  /** A MOVED / ASK / TRYAGAIN / CLUSTERDOWN / LOADING reply to a command (`redirect`, connection-open.ts). */
  readonly #redirect: Redirect = (reply, call, from) => {
    const { args } = call
    const before = this.#redirections.get(args)
    // The first redirection of this call: its count is forgotten when the call settles, so a
    // caller that sends the same argument array again starts from zero.
    const counted: Resend =
      before !== undefined
        ? call
        : {
            ...call,
            resolve: (value) => {
              this.#redirections.delete(args)
              call.resolve(value)
            },
            reject: (error) => {
              this.#redirections.delete(args)
              call.reject(error)
            },
          }
    const count = (before ?? 0) + 1
    this.#redirections.set(args, count)
    // A redirection loop (nodes that disagree about a slot while it moves) is waited out
    // within the command's own deadline, not failed after a few bounces.
    const wait = count <= EAGER_REDIRECTIONS ? 0 : Math.min(200, 20 * 2 ** (count - EAGER_REDIRECTIONS - 1))
    const target = parseRedirection(reply)
    if (count > MAX_REDIRECTIONS || this.#closed || wait >= call.timeoutMs) {
      const moved = target && (reply.startsWith('MOVED') || reply.startsWith('ASK'))
      counted.reject(moved ? this.#unsettled(target.slot, count, reply, args) : commandError(reply, args))
      return
    }
    const later = { ...counted, timeoutMs: call.timeoutMs - wait }
    const send = (link: Link, asking: boolean) => {
      if (wait === 0) this.#forward(link, later, asking)
      else setTimeout(() => this.#forward(link, later, asking), wait)
    }
    if (reply.startsWith('MOVED') && target) {
      const link = this.#linkAt(target.address)
      this.#slots[target.slot] = link
      this.#scheduleRefresh()
      send(link, false)
      return
    }
    if (reply.startsWith('ASK') && target) {
      send(this.#linkAt(target.address), true)
      return
    }
    // TRYAGAIN (a multi-key command during a migration), CLUSTERDOWN, LOADING: not now.
    if (call.timeoutMs <= RETRY_PAUSE_MS) {
      counted.reject(commandError(reply, args))
      return
    }
    if (reply.startsWith('CLUSTERDOWN')) this.#scheduleRefresh()
    const retry = { ...counted, timeoutMs: call.timeoutMs - RETRY_PAUSE_MS }
    setTimeout(() => from.forward(retry), RETRY_PAUSE_MS)
  }

  /** Sends a redirected call to `link`, once it is connected (up to offlineWaitMs). */
  #forward(link: Link, call: Resend, asking: boolean): void {
    const connection = link.connection
    if (connection) {
      connection.forward(call, asking)
      return
    }
    const started = Date.now()
    link.waitReady(Math.min(call.timeoutMs, this.#settings.offlineWaitMs)).then((ready) => {
      const now = link.connection
      if (ready && now)
        now.forward({ ...call, timeoutMs: Math.max(1, call.timeoutMs - (Date.now() - started)) }, asking)
      else call.reject(this.#unavailable(-1, call.args))
    })
  }

  // ---- the slot map ----

  /** The Link to the node at `address` (`host:port`), opened on first use; a replica's sends READONLY first. */
  #linkAt(address: string, replica = false): Link {
    let link = this.#links.get(address)
    if (link) return link
    const { host, port } = parseAddress(address)
    const endpoint = (this.#roots[0] as Endpoint).at(host, port)
    link = new Link({
      ...this.#settings,
      locate: () => endpoint,
      redirect: this.#redirect,
      ...(replica ? { setup: [['READONLY']] } : {}),
    })
    if (!replica) link.onStateChange((state, error) => this.#nodeState(state, error))
    this.#links.set(address, link)
    link.start()
    return link
  }

  #nodeState(state: 'ready' | 'disconnected', error?: RedisExpertError): void {
    if (this.#closed) return
    if (state === 'disconnected') this.#scheduleRefresh()
    for (const listener of this.#listeners) listener(state, error)
  }

  #scheduleRefresh(): void {
    if (this.#closed || this.#refreshing || this.#refreshTimer) return
    const wait = Math.max(0, this.#lastRefresh + REFRESH_GAP_MS - Date.now())
    this.#refreshTimer = setTimeout(() => {
      this.#refreshTimer = null
      this.#refreshNow().catch(() => {})
    }, wait)
    this.#refreshTimer.unref()
  }

  #refreshNow(): Promise<void> {
    this.#refreshing ??= this.#reload().finally(() => {
      this.#refreshing = null
      this.#lastRefresh = Date.now()
    })
    return this.#refreshing
  }

  /** Reads the map from a reachable master (or a root node) and points every slot at its owner. */
  async #reload(): Promise<void> {
    const ranges = await fetchSlotMap(this.#masters, this.#roots, this.#settings)
    const slots: (Link | undefined)[] = new Array(SLOT_COUNT)
    const replicas: (readonly Link[] | undefined)[] = new Array(SLOT_COUNT)
    const masters = new Set<Link>()
    for (const range of ranges) {
      const master = this.#linkAt(range.master)
      masters.add(master)
      const readers = this.#useReplicas
        ? range.replicas.map((address) => this.#linkAt(address, true))
        : undefined
      for (let slot = range.start; slot <= range.end && slot < SLOT_COUNT; slot++) {
        slots[slot] = master
        replicas[slot] = readers
      }
    }
    this.#slots = slots
    this.#replicas = replicas
    this.#masters = [...masters]
    this.#loaded = true
    // Nodes that left the map: closed once their commands in flight are answered.
    const kept = new Set<Link>([...masters, ...replicas.flatMap((r) => r ?? [])])
    for (const [address, link] of this.#links)
      if (!kept.has(link)) {
        this.#links.delete(address)
        link.close().catch(() => {})
      }
  }

  /**
   * A command redirected (MOVED / ASK) until its deadline or MAX_REDIRECTIONS: the nodes did not
   * agree about its slot in time. A redirection means the command did not run.
   */
  #unsettled(
    slot: number,
    count: number,
    reply: string,
    args: readonly (string | Buffer)[],
  ): RedisExpertError {
    const command = String(args[0]).toUpperCase()
    if (this.#closed) return this.#unavailable(slot, args)
    return new RedisExpertError(
      'CONNECTION_UNAVAILABLE',
      `${command}: slot ${slot} did not settle: redirected ${count} times (last: ${reply}) until the command's deadline; it did not run`,
      { details: { command, slot, reason: 'redirections', redirections: count } },
    )
  }

  #unavailable(slot: number, args?: readonly (string | Buffer)[]): RedisExpertError {
    const command = args ? String(args[0]).toUpperCase() : 'command'
    if (this.#closed) return new RedisExpertError('CONNECTION_CLOSED', `${command}: the client is closed`)
    return new RedisExpertError(
      'CONNECTION_UNAVAILABLE',
      `${command}: no reachable master serves ${slot < 0 ? 'the Cluster' : `slot ${slot}`} (waited up to offlineWaitMs); the command was not sent`,
      { details: { command, slot } },
    )
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
