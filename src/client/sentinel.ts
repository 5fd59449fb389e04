import type { Reply } from '../common/types.js'
import { RedisExpertError } from '../errors.js'
import { Connection } from './connection.js'
import { type Endpoint, formatAddress } from './endpoint.js'
import { Link, type LinkSettings } from './link.js'
import type { Target } from './options.js'
import type { ParsedReply } from './resp-parser.js'
import { SingleServer } from './standalone.js'
import type { NodeSender, Topology } from './topology.js'

type SentinelTarget = Extract<Target, { kind: 'sentinel' }>

/** The channel every Sentinel publishes a completed failover on: `<name> <old-ip> <old-port> <new-ip> <new-port>`. */
export const SWITCH_MASTER = '+switch-master'

/** How often an idle sentinel subscription is pinged, so that a silent (half-open) one is noticed. */
const HEARTBEAT_MS = 2000
/** The first pause before asking the Sentinels again when the node they name is not (yet) a master. */
const FIRST_PAUSE_MS = 50
const MAX_PAUSE_MS = 1000
/** NOREPLICAS under a replica outage comes with every write: ask the Sentinels at most this often. */
const RECHECK_INTERVAL_MS = 1000

/** What the locator needs of the client's settings. */
export type SentinelSettings = Omit<LinkSettings, 'locate'>

/**
 * Finds the master a set of Sentinels monitors under one name, and hears when it changes.
 *
 * - `locate()` asks `SENTINEL GET-MASTER-ADDR-BY-NAME` of each Sentinel in turn (each bounded,
 *   see ask()) until one answers; that one moves to the front of the list. The
 *   address is then checked with `ROLE`: it must say `master` (a replica the Sentinels have not
 *   yet promoted, or an old master they have not yet noticed, does not). Otherwise it asks again
 *   after a short, growing pause, all within one connectTimeoutMs budget.
 * - `watch()` subscribes to `+switch-master` on every Sentinel (the exact channel: a pattern
 *   subscription to `switch-master` never matches it), each on its own reconnecting, unref'd
 *   connection pinged every 2 s. A Sentinel that announces a failover moves to the front, so
 *   the next `locate()` asks one that already knows the new master.
 */
export class SentinelLocator {
  readonly name: string
  /** Sentinels in the order they are asked: the last one that answered (or announced) first. */
  #sentinels: Endpoint[]
  readonly #node: Endpoint
  readonly #settings: SentinelSettings
  readonly #watches: SentinelWatch[] = []
  #closed = false
  /** Why the last node the Sentinels named was not used (for the error of a locate() that runs out of time). */
  #lastWhy: string | null = null
  /** Pauses of locate() in progress, cut short by an announcement. */
  #sleepers: (() => void)[] = []

  constructor(target: SentinelTarget, settings: SentinelSettings) {
    this.name = target.name
    this.#sentinels = [...target.sentinels]
    this.#node = target.node
    this.#settings = settings
  }

  /**
   * The master's endpoint (with the data nodes' login), verified with ROLE; CONNECTION_FAILED
   * saying why within `timeoutMs` (default connectTimeoutMs) otherwise.
   */
  async locate(timeoutMs = this.#settings.connectTimeoutMs): Promise<Endpoint> {
    const deadline = Date.now() + timeoutMs
    let pause = FIRST_PAUSE_MS
    /** The last answer that was not a usable master, in this call: the better reason to give. */
    let refusal: RedisExpertError | null = null
    for (;;) {
      const address = await this.ask(deadline).catch((error: unknown) => {
        // Out of time while asking again: say what was wrong with the master named before.
        throw refusal ?? error
      })
      const endpoint = this.#dataNode(address.host, address.port)
      const left = Math.min(this.#settings.connectTimeoutMs, deadline - Date.now())
      const role =
        left > 0 ? await this.#once(endpoint, ['ROLE'], left).then(roleName, (error: unknown) => error) : null
      if (role === 'master') {
        this.#lastWhy = null
        return endpoint
      }
      // A wrong password for the data nodes does not get better by asking again.
      if (role instanceof RedisExpertError && role.details.reason === 'auth') throw role
      // What the last check saw (this call's or, when it ran out of time first, an earlier one's):
      // a check the deadline cut short does not replace a reason already known.
      if (role !== null && (typeof role === 'string' || this.#lastWhy === null || Date.now() < deadline))
        this.#lastWhy =
          typeof role === 'string'
            ? `it reports role ${role}`
            : `it does not answer (${role instanceof Error ? role.message : String(role)})`
      const why = this.#lastWhy ?? 'there was no time left to check its ROLE'
      refusal = new RedisExpertError(
        'CONNECTION_FAILED',
        `the Sentinels name ${endpoint.address} as master '${this.name}', but ${why}`,
        { details: { reason: 'not-master', master: this.name, address: endpoint.address } },
      )
      if (role === null || this.#closed || Date.now() + pause >= deadline) throw refusal
      await this.#pause(pause)
      pause = Math.min(MAX_PAUSE_MS, pause * 2)
    }
  }

  /**
   * The master's address as the first Sentinel that answers reports it (no ROLE check). Each
   * Sentinel but the last gets a share of the budget (connectTimeoutMs / the number of
   * Sentinels, at least 100 ms), so that one that accepts and stays silent cannot use it all.
   */
  async ask(
    deadline = Date.now() + this.#settings.connectTimeoutMs,
  ): Promise<{ host: string; port: number }> {
    const problems: string[] = []
    const order = [...this.#sentinels]
    const share = Math.max(100, Math.floor(this.#settings.connectTimeoutMs / order.length))
    for (const [i, sentinel] of order.entries()) {
      const left = deadline - Date.now()
      if (left <= 0 || this.#closed) break
      try {
        const address = await this.#askOne(sentinel, i === order.length - 1 ? left : Math.min(left, share))
        if (address === null) {
          problems.push(`${sentinel.address}: no master named '${this.name}'`)
          continue
        }
        this.#prefer(sentinel)
        return address
      } catch (error) {
        problems.push(`${sentinel.address}: ${error instanceof Error ? error.message : String(error)}`)
      }
    }
    if (problems.length === 0) problems.push('no time left to ask')
    throw new RedisExpertError(
      'CONNECTION_FAILED',
      `no Sentinel named the master '${this.name}' (${problems.join('; ')})`,
      { details: { reason: 'no-sentinel', master: this.name } },
    )
  }

  /**
   * Subscribes to `+switch-master` on every Sentinel, in the background; `onSwitch` gets the
   * new master's address for our name. `onResubscribed` is told when a Sentinel subscription
   * comes back after a loss (an announcement may have been missed meanwhile).
   */
  watch(onSwitch: (address: string) => void, onResubscribed: () => void): void {
    if (this.#watches.length > 0 || this.#closed) return
    for (const sentinel of this.#sentinels) {
      const watch = new SentinelWatch(
        sentinel,
        this.#settings,
        (message) => {
          const [name, , , host, port] = message.split(' ')
          if (name !== this.name || host === undefined || port === undefined) return
          this.#prefer(sentinel)
          // A locate() waiting to ask again asks now: the announcing Sentinel knows the answer.
          for (const wake of this.#sleepers.splice(0)) wake()
          onSwitch(formatAddress(host, Number(port)))
        },
        onResubscribed,
      )
      this.#watches.push(watch)
      watch.start()
    }
  }

  async close(): Promise<void> {
    this.#closed = true
    for (const wake of this.#sleepers.splice(0)) wake()
    await Promise.all(this.#watches.map((w) => w.close()))
  }

  /** The data node at host:port with the deployment's login (its TLS name is its own host: connection-open.ts). */
  #dataNode(host: string, port: number): Endpoint {
    return this.#node.at(host, port)
  }

  #pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer)
        this.#sleepers = this.#sleepers.filter((w) => w !== wake)
        resolve()
      }
      const timer = setTimeout(wake, ms)
      this.#sleepers.push(wake)
    })
  }

  #prefer(sentinel: Endpoint): void {
    if (this.#sentinels[0] === sentinel) return
    this.#sentinels = [sentinel, ...this.#sentinels.filter((s) => s !== sentinel)]
  }

  async #askOne(sentinel: Endpoint, timeoutMs: number): Promise<{ host: string; port: number } | null> {
    const reply = await this.#once(sentinel, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.name], timeoutMs)
    if (!Array.isArray(reply) || reply.length < 2) return null
    const port = Number(reply[1])
    if (!Number.isInteger(port) || port < 1 || port > 65535) return null
    return { host: String(reply[0]), port }
  }

  /** One command on a connection of its own, opened and closed around it, all within `timeoutMs`. */
  async #once(endpoint: Endpoint, args: readonly string[], timeoutMs: number): Promise<Reply> {
    const started = Date.now()
    const connection = await Connection.open({
      endpoint,
      clientName: this.#settings.clientName,
      connectTimeoutMs: Math.max(1, timeoutMs),
      commandTimeoutMs: Math.max(1, timeoutMs),
    })
    try {
      return await connection.send(args, false, Math.max(1, timeoutMs - (Date.now() - started)))
    } finally {
      connection.destroy()
    }
  }
}

/** The first element of a ROLE reply: master, slave (replica) or sentinel. */
function roleName(reply: Reply): string {
  return Array.isArray(reply) ? String(reply[0]) : String(reply)
}

/**
 * One Sentinel's `+switch-master` announcements: a Link (so it reconnects with capped,
 * jittered backoff, forever) whose connection is subscribed, unref'd (it never keeps the
 * process alive) and pinged every HEARTBEAT_MS, so that a silent Sentinel is dropped and
 * reconnected instead of leaving us deaf.
 */
class SentinelWatch {
  readonly #link: Link
  readonly #heartbeat: NodeJS.Timeout
  #everSubscribed = false

  constructor(
    sentinel: Endpoint,
    settings: SentinelSettings,
    onMessage: (message: string) => void,
    onResubscribed: () => void,
  ) {
    const onPush = (reply: ParsedReply) => {
      if (!Array.isArray(reply)) return
      const [kind, channel, payload] = reply
      if (kind === 'subscribe' && channel === SWITCH_MASTER) {
        // Back after a loss: an announcement may have been missed meanwhile.
        if (this.#everSubscribed) onResubscribed()
        this.#everSubscribed = true
      } else if (kind === 'message' && channel === SWITCH_MASTER && payload !== undefined)
        onMessage(String(payload))
    }
    const linkSettings: LinkSettings = {
      ...settings,
      locate: () => sentinel,
      onPush,
      unref: true,
    }
    this.#link = new Link(linkSettings)
    this.#link.onStateChange((state) => {
      if (state === 'ready') this.#link.connection?.writeUnanswered(['SUBSCRIBE', SWITCH_MASTER])
    })
    this.#heartbeat = setInterval(() => {
      if (this.#link.ready) this.#link.send(['PING'], false, settings.commandTimeoutMs).catch(() => {})
    }, HEARTBEAT_MS)
    this.#heartbeat.unref()
  }

  start(): void {
    this.#link.start()
  }

  async close(): Promise<void> {
    clearInterval(this.#heartbeat)
    await this.#link.close()
  }
}

/**
 * A Sentinel-managed master: one SingleServer (shared Link + dedicated pool) whose `locate` asks
 * the Sentinels, and which moves to a new master
 *
 * - at once when any Sentinel announces `+switch-master` for our name,
 * - when its connection is lost (the Link asks `locate()` before every attempt),
 * - when the server answers `READONLY` (we are talking to a demoted master: move now), or
 *   `NOREPLICAS` (a master cut off from its replicas — possibly an old one: ask the Sentinels,
 *   move if they name another).
 *
 * The client re-runs its durability check on every 'ready', so a failover to a master
 * configured differently is noticed.
 */
export class SentinelTopology implements Topology {
  readonly kind = 'sentinel' as const
  readonly server: SingleServer
  readonly locator: SentinelLocator
  /** A switch announced while not connected: checked against where the next connection lands. */
  #announced: string | null = null
  #moving = false
  #asking = false
  #askedAt = 0
  readonly #watchError = (error: unknown): never => {
    this.#inspect(error)
    throw error
  }

  constructor(target: SentinelTarget, settings: SentinelSettings) {
    this.locator = new SentinelLocator(target, settings)
    this.server = new SingleServer('sentinel', {
      ...settings,
      locate: (timeoutMs) => this.locator.locate(timeoutMs),
    })
    this.server.link.onStateChange((state) => {
      if (state !== 'ready') return
      this.#moving = false
      const announced = this.#announced
      this.#announced = null
      // The connection that just opened was located before the announcement: move again.
      if (announced !== null && this.server.link.endpoint?.address !== announced)
        setImmediate(() => this.server.link.reconnectNow())
    })
  }

  get ready(): boolean {
    return this.server.ready
  }

  async connect(): Promise<void> {
    this.locator.watch(
      (address) => this.#switched(address),
      () => this.#recheck(),
    )
    await this.server.connect()
  }

  send(
    args: readonly (string | Buffer)[],
    key: string | Buffer | undefined,
    readonly: boolean,
    buffers: boolean,
    timeoutMs: number,
  ): Promise<Reply> {
    return this.server.send(args, key, readonly, buffers, timeoutMs).catch(this.#watchError)
  }

  transaction(
    commands: readonly (readonly (string | Buffer)[])[],
    key: string | Buffer | undefined,
    buffers: boolean,
    timeoutMs: number,
  ): Promise<Reply[]> {
    return this.server.transaction(commands, key, buffers, timeoutMs).catch(this.#watchError)
  }

  waitReady(ms: number): Promise<boolean> {
    return this.server.waitReady(ms)
  }

  async masters(): Promise<NodeSender[]> {
    const [master] = await this.server.masters()
    if (!master) return []
    return [
      {
        address: master.address,
        send: (args, buffers, timeoutMs) => master.send(args, buffers, timeoutMs).catch(this.#watchError),
        transaction: (commands, buffers, timeoutMs) =>
          master.transaction(commands, buffers, timeoutMs).catch(this.#watchError),
      },
    ]
  }

  dedicated<T>(
    key: string | Buffer | undefined,
    fn: (connection: Connection) => Promise<T>,
    reset?: readonly string[],
  ): Promise<T> {
    return this.server.dedicated(key, fn, reset).catch(this.#watchError)
  }

  locateNode(): Endpoint | Promise<Endpoint> {
    return this.server.locateNode()
  }

  async close(): Promise<void> {
    await Promise.all([this.locator.close(), this.server.close()])
  }

  onStateChange(listener: (state: 'ready' | 'disconnected', error?: RedisExpertError) => void): void {
    this.server.onStateChange(listener)
  }

  /** A Sentinel announced a new master for our name. */
  #switched(address: string): void {
    const link = this.server.link
    if (link.ready && link.endpoint?.address === address) return
    if (!link.ready) this.#announced = address
    this.#moving = true
    link.reconnectNow()
  }

  /** An error reply that says the server is no longer (or not the only) master. */
  #inspect(error: unknown): void {
    if (!(error instanceof RedisExpertError) || error.code !== 'COMMAND_ERROR') return
    const code = error.details.redisCode
    if (code === 'READONLY') {
      // A replica: whoever the master is now, it is not this server.
      if (this.#moving) return
      this.#moving = true
      this.server.link.reconnectNow()
    } else if (code === 'NOREPLICAS') this.#recheck()
  }

  /** Asks the Sentinels where the master is (at most once a second); moves when it is not where we are. */
  #recheck(): void {
    if (this.#asking || this.#moving || Date.now() - this.#askedAt < RECHECK_INTERVAL_MS) return
    const current = this.server.link.endpoint?.address
    if (current === undefined) return
    this.#asking = true
    this.#askedAt = Date.now()
    this.locator.ask().then(
      (address) => {
        this.#asking = false
        if (formatAddress(address.host, address.port) !== current && !this.#moving) {
          this.#moving = true
          this.server.link.reconnectNow()
        }
      },
      () => {
        this.#asking = false
      },
    )
  }
}
