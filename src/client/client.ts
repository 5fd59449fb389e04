import { EventEmitter } from 'node:events'
import { Pipeline } from '../atomic/pipeline.js'
import { runWatch, type Transaction, type WatchOptions } from '../atomic/watch.js'
import { invalidArgument, RedisExpertError } from '../errors.js'
import type { Guard, GuardEvent, GuardStats, UnsafeOptions } from '../guard/index.js'
import type { EntryDeclarations, Keyspace } from '../keyspace/define.js'
import { type BindOptions, type BoundKeyspace, bindKeyspace } from '../keyspace/ops/bind.js'
import { argText, type CommandTable, commandKeys, isReadonly, parseCommandTable } from './command-info.js'
import { BucketedDeadlines, LoopClock, tickFor } from './deadlines.js'
import { Declarations } from './declarations.js'
import { ClusterDriver, type Driver, StandaloneDriver } from './driver.js'
import { scrub, translateError } from './errors.js'
import { GuardGate, isDurable } from './gate.js'
import { OrderedInFlight } from './in-flight.js'
import { NodeExecutor } from './node.js'
import { type ConnectOptions, describeTarget, type ResolvedOptions, resolveOptions } from './options.js'
import { buildNodeProbe } from './probe.js'
import { RespDriver } from './resp-driver.js'
import { checkScanOptions, type ScanOptions, scanKey, scanNodes } from './scan.js'
import { ChannelSubscriber, type SubscriberHandlers } from './subscriber.js'
import { openSubscriber, type SubscriberPort } from './subscriptions.js'
import type { BatchOptions, CallOptions, Command, Executor, Reply, ServerProbe } from './types.js'
import { pipelineReplies, settleBatch, wireArgs } from './wire.js'

export interface ClientEvents {
  ready: []
  disconnected: [error: unknown]
  /** A command outlived its timeout and the connection was recycled. */
  timeout: []
  /** A hard stop was hit: refused (strict), warned, allowed by an escape hatch, or rewritten. */
  violation: [GuardEvent]
}

export interface ClientStats {
  readonly guard: GuardStats
  /** Every master persists with AOF + fsync and evicts nothing untimed (source-of-truth writes allowed). */
  readonly durabilityOk: boolean
}

/**
 * A connection to a standalone server or a Cluster. Every command goes through `call` or
 * `batch`: the one edge where the guard, timeouts and typed errors apply.
 */
export class RedisExpertClient extends EventEmitter<ClientEvents> implements Executor {
  readonly mode: 'standalone' | 'cluster'
  readonly options: ResolvedOptions
  readonly #driver: Driver
  readonly #commands: CommandTable
  /** Single commands on a standalone connection: replies are ordered. */
  #flight: OrderedInFlight
  /** Cluster commands and batches: replies come back in any order. */
  readonly #buckets: BucketedDeadlines
  /** The time deadlines are measured in (see LoopClock), advanced by the sweep. */
  readonly #clock: LoopClock
  readonly #sweeper: NodeJS.Timeout
  readonly #declarations = new Declarations()
  readonly #gate: GuardGate
  #closed = false

  /** Use `connect()`. */
  constructor(driver: Driver, options: ResolvedOptions, commands: CommandTable) {
    super()
    this.#driver = driver
    this.options = options
    this.#commands = commands
    for (const keyspace of options.keyspaces) this.#declarations.add(keyspace)
    this.#gate = new GuardGate(options.gate, commands, this.#declarations)
    this.#gate.guard.on('violation', (event) => this.emit('violation', event))
    this.mode = options.target.kind
    const tickMs = tickFor(options.commandTimeoutMs)
    this.#clock = new LoopClock(tickMs)
    this.#flight = new OrderedInFlight(translateError)
    this.#buckets = new BucketedDeadlines(tickMs)
    this.#sweeper = setInterval(() => this.#sweep(), tickMs)
    // The sweep must never keep the process alive on its own.
    this.#sweeper.unref()
    driver.onStateChange((state, error) => {
      if (state === 'ready') {
        // A reconnect may land on a promoted replica or a reconfigured server: look again.
        this.checkDurability().catch(() => {})
        this.emit('ready')
      } else this.emit('disconnected', error)
    })
  }

  /** The server's command table (from `COMMAND`), used for key positions and read/write flags. */
  get commands(): CommandTable {
    return this.#commands
  }

  call<T extends Reply = Reply>(command: Command, options?: CallOptions): Promise<T> {
    let args: (string | Buffer)[]
    try {
      args = wireArgs(this.#gate.active ? this.#gate.command(command, options?.allow) : command)
    } catch (error) {
      return Promise.reject(error)
    }
    if (!this.#driver.ready) return this.#callWhenReady(args, command, options) as Promise<T>
    return this.#send(args, command, options) as Promise<T>
  }

  #send(args: (string | Buffer)[], command: Command, options: CallOptions | undefined): Promise<Reply> {
    const deadline = this.#clock.deadline(options?.timeoutMs ?? this.options.commandTimeoutMs)
    const buffers = options?.buffers === true
    if (this.mode === 'standalone') {
      // The hot path: no allocation beyond the driver's own (see OrderedInFlight).
      const flight = this.#flight
      flight.issue(command, deadline)
      return this.#driver.send(args, undefined, false, buffers).then(flight.onReply, flight.onError)
    }
    const tick = this.#buckets.track(deadline)
    const firstKey = commandKeys(this.#commands, args)[0] as string | Buffer | undefined
    return this.#driver.send(args, firstKey, isReadonly(this.#commands, args), buffers).then(
      (reply) => {
        this.#buckets.done(tick)
        return reply
      },
      (error: unknown) => {
        this.#buckets.done(tick)
        throw translateError(error, command, this.#buckets.isOverdue(tick, this.#clock.now))
      },
    )
  }

  /** While disconnected, a command waits (bounded) for the connection instead of queueing without limit. */
  async #callWhenReady(args: (string | Buffer)[], command: Command, options: CallOptions | undefined) {
    this.#assertOpen(command)
    const timeoutMs = options?.timeoutMs ?? this.options.commandTimeoutMs
    const started = Date.now()
    if (!(await this.#driver.waitReady(Math.min(this.options.offlineWaitMs, timeoutMs)))) {
      throw new RedisExpertError(
        'CONNECTION_UNAVAILABLE',
        `${argText(command[0]).toUpperCase()}: not connected to ${describeTarget(this.options.target)} (waited ${Date.now() - started} ms)`,
        { details: { command: argText(command[0]).toUpperCase() } },
      )
    }
    return this.#send(args, command, {
      ...options,
      timeoutMs: Math.max(1, timeoutMs - (Date.now() - started)),
    })
  }

  async batch(commands: readonly Command[], options?: BatchOptions): Promise<Reply[]> {
    if (!Array.isArray(commands) || commands.length === 0)
      throw new RedisExpertError('INVALID_ARGUMENT', 'batch() takes a non-empty array of commands')
    const checked = this.#gate.active
      ? this.#gate.batch(commands, options?.atomic === true, options?.allow)
      : commands
    const wire = checked.map(wireArgs)
    const first = commands[0] as Command
    this.#assertOpen(first)
    const timeoutMs = options?.timeoutMs ?? this.options.commandTimeoutMs
    if (
      !this.#driver.ready &&
      !(await this.#driver.waitReady(Math.min(this.options.offlineWaitMs, timeoutMs)))
    )
      throw new RedisExpertError(
        'CONNECTION_UNAVAILABLE',
        `batch: not connected to ${describeTarget(this.options.target)}`,
      )
    if (options?.atomic !== true) return this.#spreadPipeline(wire, checked, options)
    const firstKey =
      this.mode === 'cluster'
        ? (wire.map((args) => commandKeys(this.#commands, args)[0]).find((key) => key !== undefined) as
            | string
            | Buffer
            | undefined)
        : undefined
    const tick = this.#buckets.track(this.#clock.deadline(timeoutMs))
    try {
      return await settleBatch(
        commands,
        () => this.#driver.sendBatch(wire, firstKey, options?.atomic === true, options?.buffers === true),
        (error) =>
          translateError(
            error,
            options?.atomic ? ['MULTI'] : first,
            this.#buckets.isOverdue(tick, this.#clock.now),
          ),
      )
    } finally {
      this.#buckets.done(tick)
    }
  }

  /**
   * A pipeline: every command issued in the same tick, which the driver writes to the socket
   * together — one round trip (on a Cluster, one per master, in parallel, each command routed
   * by its own key). Replies come back in the order of the commands; the first failure (by
   * position) is thrown, as that command's own error, once all have settled, so no command
   * is left running unobserved.
   */
  async #spreadPipeline(
    wire: (string | Buffer)[][],
    commands: readonly Command[],
    options: BatchOptions | undefined,
  ): Promise<Reply[]> {
    // One deadline for the whole batch, and no wrapper per command: a large pipeline would
    // otherwise double its garbage.
    const tick = this.#buckets.track(
      this.#clock.deadline(options?.timeoutMs ?? this.options.commandTimeoutMs),
    )
    const buffers = options?.buffers === true
    const clustered = this.mode === 'cluster'
    const sends: Promise<Reply>[] = new Array(wire.length)
    for (let i = 0; i < wire.length; i++) {
      const args = wire[i] as (string | Buffer)[]
      const firstKey = clustered
        ? (commandKeys(this.#commands, args)[0] as string | Buffer | undefined)
        : undefined
      sends[i] = this.#driver.send(args, firstKey, clustered && isReadonly(this.#commands, args), buffers)
    }
    try {
      return await pipelineReplies(sends, commands, (error, command) =>
        translateError(error, command, this.#buckets.isOverdue(tick, this.#clock.now)),
      )
    } finally {
      this.#buckets.done(tick)
    }
  }

  /** Commands sent together in one round trip (one per master on a Cluster); see Pipeline. */
  pipeline(): Pipeline {
    return new Pipeline(this, false)
  }

  /**
   * An optimistic transaction: WATCH `keys`, run `fn` (its reads see current values; its
   * `tx.queue(...)` writes go into one MULTI/EXEC), retried with jittered backoff when a
   * watched key changes, TX_CONFLICT after the last attempt. Keys share one slot on a Cluster.
   */
  watch<T>(keys: readonly string[], fn: (tx: Transaction) => Promise<T>, options?: WatchOptions): Promise<T> {
    return runWatch(
      {
        isolated: (firstKey, run) => this.#driver.isolated(firstKey, run),
        checkCommand: (command) => (this.#gate.active ? this.#gate.command(command) : command),
        checkTransaction: (commands) =>
          this.#gate.active ? this.#gate.batch(commands, true) : [...commands],
        translate: (error, command) => translateError(error, command, false),
        wire: wireArgs,
      },
      keys,
      fn,
      options,
    )
  }

  /** A MULTI/EXEC transaction: all or nothing, one round trip, every key in one slot. */
  multi(): Pipeline {
    return new Pipeline(this, true)
  }

  /**
   * The typed operations of a keyspace on this connection: `db.keyspace(shop).user({ id }).hget('name')`.
   * Every write carries the entry's TTL in the same round trip.
   */
  keyspace<E extends EntryDeclarations>(
    keyspace: Keyspace<string, E>,
    options?: BindOptions,
  ): BoundKeyspace<E> {
    return bindKeyspace(this, keyspace, options)
  }

  /** Makes a keyspace's declarations known to the guard (db.keyspace() does this itself). */
  declare<E extends EntryDeclarations>(keyspace: Keyspace<string, E>): void {
    this.#declarations.add(keyspace as unknown as Keyspace)
  }

  /** The guard's mode, counters and events. */
  get guard(): Guard {
    return this.#gate.guard
  }

  /**
   * Runs `fn` with the hard stops lifted: violations inside are allowed, and reported as
   * `violation` events carrying `reason` (required). For migrations and one-off repairs.
   */
  unsafe<T>(options: UnsafeOptions, fn: (db: this) => T): T {
    return this.#gate.guard.unsafe(options, () => fn(this))
  }

  stats(): ClientStats {
    return { guard: this.#gate.guard.stats(), durabilityOk: this.#gate.durable }
  }

  /**
   * Reads every master's persistence and eviction policy and updates whether writes to
   * source-of-truth entries are allowed (GUARD_DURABILITY). Runs at connect and after every
   * reconnect; call it after changing the servers' configuration.
   */
  async checkDurability(): Promise<boolean> {
    const probe = await this.probe()
    this.#gate.durable = probe.masters.every(isDurable)
    return this.#gate.durable
  }

  /**
   * Every key matching `options`, across all masters of a Cluster: the replacement for KEYS.
   * `for await (const key of db.scan({ match: shop.user.match })) ...`
   */
  scan(options: ScanOptions = {}): AsyncGenerator<string> {
    checkScanOptions(options)
    return (async function* (db: RedisExpertClient) {
      yield* scanNodes(await db.masters(), options)
    })(this)
  }

  /** Field–value pairs of a hash, without HGETALL. */
  hscan(key: string, options: Omit<ScanOptions, 'type'> = {}): AsyncGenerator<string[]> {
    checkScanOptions(options)
    return scanKey(this, 'HSCAN', key, options)
  }

  /** Members of a set, without SMEMBERS; each item is `[member]`. */
  sscan(key: string, options: Omit<ScanOptions, 'type'> = {}): AsyncGenerator<string[]> {
    checkScanOptions(options)
    return scanKey(this, 'SSCAN', key, options)
  }

  /** Member–score pairs of a sorted set, without a full ZRANGE. */
  zscan(key: string, options: Omit<ScanOptions, 'type'> = {}): AsyncGenerator<string[]> {
    checkScanOptions(options)
    return scanKey(this, 'ZSCAN', key, options)
  }

  /**
   * A dedicated connection subscribed to `channel`: `handlers.message` for each message,
   * `up` once subscribed (again, after a reconnect) and `down` when messages may be missed.
   * Start it with `start(waitMs)`; `close()` ends it.
   */
  subscribe(channel: string, handlers: SubscriberHandlers): ChannelSubscriber {
    if (typeof channel !== 'string' || channel === '')
      throw invalidArgument('subscribe: channel must be a non-empty string')
    const target = this.options.target
    return new ChannelSubscriber(
      {
        urls: target.kind === 'standalone' ? [target.url] : target.rootNodes,
        username: this.options.username,
        password: this.options.password,
        tls: this.options.tls,
      },
      channel,
      handlers,
    )
  }

  /**
   * A dedicated pub/sub connection on the driver, for channels, patterns and (on a Cluster)
   * sharded channels; it resubscribes after a reconnect and reports up/down.
   */
  subscriber(): Promise<SubscriberPort> {
    return openSubscriber(this.options)
  }

  /** Every master (the one server, when standalone), to visit each: SCAN, INFO, audits. */
  async masters(): Promise<NodeExecutor[]> {
    const senders = await this.#driver.masters()
    return senders.map(
      (sender) =>
        new NodeExecutor(sender, this.#buckets, this.#clock, this.options.commandTimeoutMs, this.#gate),
    )
  }

  /** Version, mode, modules, persistence, memory policy and listpack limits — per master on a Cluster. */
  async probe(): Promise<ServerProbe> {
    const masters = await Promise.all(
      (await this.masters()).map(async (node) => {
        const [info, config] = await Promise.all([
          node.call(['INFO']),
          // CONFIG may be forbidden by ACL (NOPERM) or renamed away (unknown command): fall back to INFO.
          node.call(['CONFIG', 'GET', '*']).catch(() => null),
        ])
        return buildNodeProbe(node.address, { info: String(info), config })
      }),
    )
    const [first] = masters
    if (!first) throw new RedisExpertError('CONNECTION_UNAVAILABLE', 'probe: no master is reachable')
    return { ...first, mode: this.mode, masters }
  }

  /** Closes the connection(s); commands still in flight get their replies first. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    clearInterval(this.#sweeper)
    await this.#driver.close()
  }

  #assertOpen(command: Command): void {
    if (this.#closed)
      throw new RedisExpertError(
        'CONNECTION_CLOSED',
        `${argText(command[0]).toUpperCase()}: the client is closed`,
      )
  }

  #sweep(): void {
    const now = this.#clock.advance()
    if (!this.#flight.sweep(now) && !this.#buckets.sweep(now)) return
    // Replies are ordered: a command past its deadline means the connection is stuck (a
    // half-open socket, a server paused or overloaded). Start over on a fresh one; the old
    // one's commands fail with COMMAND_TIMEOUT (overdue) or CONNECTION_LOST (the rest).
    this.emit('timeout')
    this.#flight = new OrderedInFlight(translateError)
    this.#driver.recycle()
  }
}

/**
 * Connects to a standalone server (`url`) or a Cluster (`cluster.rootNodes`). Resolves once
 * the connection is ready; fails with CONNECTION_FAILED (password redacted) otherwise.
 */
export async function connect(options: ConnectOptions = {}): Promise<RedisExpertClient> {
  const resolved = resolveOptions(options)
  const target = resolved.target
  const driver =
    target.kind === 'cluster'
      ? new ClusterDriver(target.rootNodes, target.useReplicas, resolved)
      : resolved.transport === 'node-redis'
        ? new StandaloneDriver(target.url, resolved)
        : new RespDriver(target.url, resolved)
  try {
    await driver.connect()
  } catch (error) {
    await driver.close().catch(() => {})
    throw connectionFailed(resolved, error)
  }
  // Key positions and flags for routing and the guard, from the server itself: modules included.
  // An ACL user without +command gets an empty table: the guard then knows keys only for the
  // commands it classifies itself, and Cluster routing needs the permission.
  const [master] = await driver.masters()
  const commands = parseCommandTable(master ? await master.send(['COMMAND']).catch(() => null) : null)
  const client = new RedisExpertClient(driver, resolved, commands)
  await client.checkDurability()
  return client
}

function connectionFailed(options: ResolvedOptions, error: unknown): RedisExpertError {
  const target = describeTarget(options.target)
  const reason =
    error instanceof Error ? (error.cause instanceof Error ? error.cause : error).message : String(error)
  let message = scrub(`could not connect to ${target}: ${reason}`, options.password)
  for (const url of options.target.kind === 'standalone' ? [options.target.url] : options.target.rootNodes) {
    const password = safePassword(url)
    if (password) message = scrub(message, password)
  }
  return new RedisExpertError('CONNECTION_FAILED', message, { details: { target } })
}

function safePassword(url: string): string | undefined {
  try {
    return decodeURIComponent(new URL(url).password) || undefined
  } catch {
    return undefined
  }
}
