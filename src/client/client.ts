import { EventEmitter } from 'node:events'
import { inspect } from 'node:util'
import {
  BATCH_OPTIONS,
  type BatchOptions,
  CALL_OPTIONS,
  type CallOptions,
  type Command,
  type Executor,
  type Reply,
} from '../common/types.js'
import { strictOptions } from '../common/validate.js'
import { invalidArgument, RedisExpertError } from '../errors.js'
import type { Guard, GuardEvent, GuardStats, UnsafeOptions, Violation } from '../guard/index.js'
import type { EntryDeclarations, Keyspace } from '../keyspace/define.js'
import { argText, type CommandTable, firstKey, isReadonly } from './command-info.js'
import type { Connection } from './connection.js'
import { Declarations } from './declarations.js'
import { translateError } from './errors.js'
import { durabilityGaps, GuardGate } from './gate.js'
import { type HeldConnection, holdConnection } from './held-connection.js'
import { NodeExecutor } from './node.js'
import { describeTarget, type ResolvedOptions } from './options.js'
import { probeMasters } from './probe-masters.js'
import type { ServerProbe } from './probe-types.js'
import { type ReplicaWait, replicaWait, withReplicas } from './replicated.js'
import { checkScanOptions, type KeyScanOptions, type ScanOptions, scanKey, scanNodes } from './scan.js'
import { batchUse, sharedUse } from './shared-use.js'
import { ChannelSubscriber, type SubscriberHandlers } from './subscriber.js'
import { openSubscriber, type SubscriberPort } from './subscriptions.js'
import type { Topology } from './topology.js'
import { batchOn, pipelineReplies, settleBatch, wireArgs } from './wire.js'

export type { HeldConnection } from './held-connection.js'

/** How a client was opened, so that it can open a sibling: connect()'s own opener. */
export type OpenClient = (options: ResolvedOptions) => Promise<Client>

/** The events a client emits (it is an EventEmitter). */
export interface ClientEvents {
  ready: []
  disconnected: [error: unknown]
  /** A command outlived its timeout on a stuck connection, which was dropped and reopened. */
  timeout: []
  /** A hard stop was hit: refused (strict), warned, allowed by an escape hatch, or rewritten. */
  violation: [GuardEvent]
}

/** What `db.stats()` returns. */
export interface ClientStats {
  readonly guard: GuardStats
  /** Every master persists with AOF + fsync and evicts nothing untimed (source-of-truth writes allowed). */
  readonly durabilityOk: boolean
}

/**
 * A connection to a standalone server, a Cluster or a Sentinel-managed master. Every command
 * goes through `call` or `batch`: the one edge where the guard, the shared-connection rule,
 * timeouts and typed errors apply.
 */
export class Client extends EventEmitter<ClientEvents> implements Executor {
  readonly mode: 'standalone' | 'cluster' | 'sentinel'
  readonly options: ResolvedOptions
  readonly #topology: Topology
  readonly #routed: boolean
  /** A Cluster with useReplicas: read-only commands may go to replicas. */
  readonly #readsReplicas: boolean
  readonly #commands: CommandTable
  readonly #declarations = new Declarations()
  readonly #gate: GuardGate
  readonly #open: OpenClient
  #closed = false

  /** Use `connect()`. */
  constructor(topology: Topology, options: ResolvedOptions, commands: CommandTable, open: OpenClient) {
    super()
    this.#open = open
    this.#topology = topology
    this.options = options
    this.#commands = commands
    for (const keyspace of options.keyspaces) this.#declarations.add(keyspace)
    this.#gate = new GuardGate(options.gate, commands, this.#declarations)
    this.#gate.guard.on('violation', (event) => this.emit('violation', event))
    this.mode = topology.kind
    this.#routed = topology.kind === 'cluster'
    this.#readsReplicas = options.target.kind === 'cluster' && options.target.useReplicas
    topology.onStateChange((state, error) => {
      if (state === 'ready') {
        // A reconnect may land on a promoted replica or a reconfigured server: look again.
        this.checkDurability().catch(() => {})
        this.emit('ready')
      } else {
        if (error?.details.reason === 'stuck') this.emit('timeout')
        this.emit('disconnected', error)
      }
    })
  }

  /** The server's command table (from `COMMAND`), used for key positions and read/write flags. */
  get commands(): CommandTable {
    return this.#commands
  }

  call<T extends Reply = Reply>(command: Command, options?: CallOptions): Promise<T> {
    let args: (string | Buffer)[]
    try {
      if (options !== undefined) strictOptions('call options', options, CALL_OPTIONS)
      args = wireArgs(this.#gate.active ? this.#gate.command(command, options?.allow) : command)
    } catch (error) {
      return Promise.reject(error)
    }
    if (options?.waitReplicas !== undefined)
      return this.#replicated(args, command, options, (c, ms) =>
        c.send(args, options.buffers === true, ms),
      ) as Promise<T>
    const use = sharedUse(args)
    if (use.kind !== 'shared') {
      if (use.kind === 'refused') return Promise.reject(use.error)
      return this.#onDedicated(args, command, options, use.blockMs, (c, timeoutMs) =>
        c.send(args, options?.buffers === true, timeoutMs),
      ) as Promise<T>
    }
    if (!this.#topology.ready) return this.#callWhenReady(args, command, options) as Promise<T>
    return this.#send(args, options) as Promise<T>
  }

  #send(args: (string | Buffer)[], options: CallOptions | undefined): Promise<Reply> {
    const timeoutMs = options?.timeoutMs ?? this.options.commandTimeoutMs
    const buffers = options?.buffers === true
    if (!this.#routed) return this.#topology.send(args, undefined, false, buffers, timeoutMs)
    const key = firstKey(this.#commands, args) as string | Buffer | undefined
    return this.#topology.send(
      args,
      key,
      this.#readsReplicas && isReadonly(this.#commands, args),
      buffers,
      timeoutMs,
    )
  }

  /**
   * A blocking command (or a batch holding one) on a dedicated connection: its deadline is
   * the block time plus the command timeout, or `timeoutMs` when given.
   */
  async #onDedicated<T>(
    wire: (string | Buffer)[],
    command: Command,
    options: CallOptions | BatchOptions | undefined,
    blockMs: number,
    run: (connection: Connection, timeoutMs: number) => Promise<T>,
  ): Promise<T> {
    this.#assertOpen(command)
    const timeoutMs = options?.timeoutMs ?? blockMs + this.options.commandTimeoutMs
    const key = this.#routed ? (firstKey(this.#commands, wire) as string | Buffer | undefined) : undefined
    try {
      return await this.#topology.dedicated(key, (connection) => run(connection, timeoutMs))
    } catch (error) {
      throw translateError(error, command, false)
    }
  }

  /** A write and WAIT in one round trip on a dedicated connection (replicated.ts). */
  #replicated<T>(
    wire: (string | Buffer)[],
    command: Command,
    options: CallOptions | BatchOptions,
    run: (connection: Connection, timeoutMs: number) => Promise<T>,
  ): Promise<T> {
    let wait: ReplicaWait
    try {
      wait = replicaWait(options)
    } catch (error) {
      return Promise.reject(error)
    }
    return this.#onDedicated(wire, command, options, wait.waitMs, (connection, timeoutMs) =>
      withReplicas(connection, wait, command, timeoutMs, run),
    )
  }

  /** While disconnected, a command waits (bounded) for the connection instead of queueing without limit. */
  async #callWhenReady(args: (string | Buffer)[], command: Command, options: CallOptions | undefined) {
    this.#assertOpen(command)
    const timeoutMs = options?.timeoutMs ?? this.options.commandTimeoutMs
    const started = Date.now()
    if (!(await this.#topology.waitReady(Math.min(this.options.offlineWaitMs, timeoutMs)))) {
      this.#assertOpen(command)
      throw new RedisExpertError(
        'CONNECTION_UNAVAILABLE',
        `${argText(command[0]).toUpperCase()}: not connected to ${describeTarget(this.options.target)} (waited ${Date.now() - started} ms); the command was not sent`,
        { details: { command: argText(command[0]).toUpperCase() } },
      )
    }
    return this.#send(args, { ...options, timeoutMs: Math.max(1, timeoutMs - (Date.now() - started)) })
  }

  async batch(commands: readonly Command[], options?: BatchOptions): Promise<Reply[]> {
    if (!Array.isArray(commands) || commands.length === 0)
      throw new RedisExpertError('INVALID_ARGUMENT', 'batch() takes a non-empty array of commands')
    if (options !== undefined) strictOptions('batch options', options, BATCH_OPTIONS)
    const atomic = options?.atomic === true
    const checked = this.#gate.active ? this.#gate.batch(commands, atomic, options?.allow) : commands
    const wire = checked.map(wireArgs)
    const first = commands[0] as Command
    this.#assertOpen(first)
    const buffers = options?.buffers === true
    if (options?.waitReplicas !== undefined)
      return this.#replicated(wire[0] as (string | Buffer)[], first, options, (c, timeoutMs) =>
        batchOn(c, wire, commands, checked, atomic, buffers, timeoutMs),
      )
    // Inside MULTI nothing blocks; a plain pipeline with a blocking command (WAIT after writes) runs apart.
    const use = atomic ? sharedUse(wire[0] as (string | Buffer)[]) : batchUse(wire)
    const refusedAt = atomic
      ? wire.map((args) => sharedUse(args)).find((u) => u.kind === 'refused')
      : undefined
    if (refusedAt?.kind === 'refused') throw refusedAt.error
    if (use.kind === 'refused') throw use.error
    if (use.kind === 'blocking' && !atomic)
      return this.#onDedicated(wire[0] as (string | Buffer)[], first, options, use.blockMs, (c, timeoutMs) =>
        batchOn(c, wire, commands, checked, false, buffers, timeoutMs),
      )
    const timeoutMs = options?.timeoutMs ?? this.options.commandTimeoutMs
    if (
      !this.#topology.ready &&
      !(await this.#topology.waitReady(Math.min(this.options.offlineWaitMs, timeoutMs)))
    )
      throw new RedisExpertError(
        'CONNECTION_UNAVAILABLE',
        `batch: not connected to ${describeTarget(this.options.target)}; nothing was sent`,
      )
    if (!atomic) return this.#pipeline(wire, checked, buffers, timeoutMs)
    const key = this.#routed
      ? (wire.map((args) => firstKey(this.#commands, args)).find((k) => k !== undefined) as
          | string
          | Buffer
          | undefined)
      : undefined
    return settleBatch(
      commands,
      () => this.#topology.transaction(wire, key, buffers, timeoutMs),
      (error) => translateError(error, ['MULTI'], false),
    )
  }

  /**
   * A pipeline: every command issued in the same tick, which the connection writes together —
   * one round trip (on a Cluster, one per master, in parallel, each command routed by its own
   * key). Replies come back in the order of the commands; the first failure (by position) is
   * thrown, as that command's own error, once all have settled, so no command is left running
   * unobserved.
   */
  #pipeline(
    wire: (string | Buffer)[][],
    commands: readonly Command[],
    buffers: boolean,
    timeoutMs: number,
  ): Promise<Reply[]> {
    const sends: Promise<Reply>[] = new Array(wire.length)
    for (let i = 0; i < wire.length; i++) {
      const args = wire[i] as (string | Buffer)[]
      if (!this.#routed) sends[i] = this.#topology.send(args, undefined, false, buffers, timeoutMs)
      else {
        const key = firstKey(this.#commands, args) as string | Buffer | undefined
        const readonly = this.#readsReplicas && isReadonly(this.#commands, args)
        sends[i] = this.#topology.send(args, key, readonly, buffers, timeoutMs)
      }
    }
    return pipelineReplies(sends, commands, (error, command) => translateError(error, command, false))
  }

  /**
   * Lends `fn` one dedicated connection, for state that lives on a connection (WATCH, then
   * MULTI/EXEC): the guard checks every command sent on it, the WATCHed keys included with
   * the EXEC batch as one atomic unit. The connection goes back to a pool after UNWATCH.
   * `db.watch()` (atomic/watch.ts) is built on it.
   */
  isolated<T>(firstKey: string | undefined, fn: (connection: HeldConnection) => Promise<T>): Promise<T> {
    if (firstKey !== undefined && (typeof firstKey !== 'string' || firstKey === ''))
      return Promise.reject(invalidArgument('isolated: the first key is a non-empty string, or undefined'))
    if (typeof fn !== 'function')
      return Promise.reject(invalidArgument('isolated: takes a function that uses the held connection'))
    return this.#topology.dedicated(firstKey, (connection) => fn(holdConnection(connection, this.#gate)), [
      'UNWATCH',
    ])
  }

  /**
   * A second client to the same deployment with the same options (credentials, guard,
   * keyspaces) under another client name: for loops that should not share this client's
   * connections and pools (a worker's blocking reads, a stream consumer).
   */
  sibling(clientName: string): Promise<this> {
    if (typeof clientName !== 'string' || clientName === '')
      return Promise.reject(invalidArgument('sibling: clientName must be a non-empty string'))
    return this.#open({ ...this.options, clientName }) as Promise<this>
  }

  /** Makes a keyspace's declarations known to the guard (db.keyspace() does this itself). */
  declare<E extends EntryDeclarations>(keyspace: Keyspace<string, E>): void {
    this.#declarations.add(keyspace as unknown as Keyspace)
  }

  /**
   * Every keyspace this client knows: connect()'s `keyspaces`, those bound or declared since, and
   * the internal ones the toolkit's features declared on it (a cache's lease and tag keys, queue,
   * stream, lock, session, leaderboard keys...). Hand them to `audit(db, { keyspaces })` so that
   * nothing the application or the toolkit writes is reported as undeclared.
   */
  keyspaces(): readonly Keyspace[] {
    return this.#declarations.all()
  }

  /** A typed whole read returned more than the key's declared maxItems: the guard's mode decides. */
  boundExceeded(violation: Violation): void {
    this.#gate.guard.exceededBound(violation)
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

  /** The guard's counters, and whether writes to source-of-truth entries are allowed now. */
  stats(): ClientStats {
    return { guard: this.#gate.guard.stats(), durabilityOk: this.#gate.durable }
  }

  /**
   * Reads every master's persistence and eviction policy and updates whether writes to
   * source-of-truth entries are allowed (GUARD_DURABILITY). Runs at connect and after every
   * reconnect or failover; call it after changing the servers' configuration.
   */
  async checkDurability(): Promise<boolean> {
    const probe = await this.probe()
    const gaps = new Set(probe.masters.flatMap((master) => durabilityGaps(master, this.mode)))
    this.#gate.durabilityGaps = [...gaps]
    this.#gate.durable = gaps.size === 0
    return this.#gate.durable
  }

  /**
   * Every key matching `options`, across all masters of a Cluster: the replacement for KEYS.
   * `for await (const key of db.scan({ match: shop.user.match })) ...`
   */
  scan(options: ScanOptions & { readonly buffers?: false }): AsyncGenerator<string>
  scan(options: ScanOptions & { readonly buffers: true }): AsyncGenerator<Buffer>
  scan(): AsyncGenerator<string>
  scan(options: ScanOptions = {}): AsyncGenerator<string | Buffer> {
    checkScanOptions(options)
    return (async function* (db: Client) {
      yield* scanNodes(await db.masters(), options)
    })(this)
  }

  /** Field–value pairs of a hash, without HGETALL (as Buffers with `buffers: true`). */
  hscan(
    key: string | Buffer,
    options?: KeyScanOptions & { readonly buffers?: false },
  ): AsyncGenerator<string[]>
  hscan(key: string | Buffer, options: KeyScanOptions & { readonly buffers: true }): AsyncGenerator<Buffer[]>
  hscan(key: string | Buffer, options: KeyScanOptions = {}): AsyncGenerator<(string | Buffer)[]> {
    checkScanOptions(options)
    return scanKey(this, 'HSCAN', key, options)
  }

  /** Members of a set, without SMEMBERS; each item is `[member]`. */
  sscan(
    key: string | Buffer,
    options?: KeyScanOptions & { readonly buffers?: false },
  ): AsyncGenerator<string[]>
  sscan(key: string | Buffer, options: KeyScanOptions & { readonly buffers: true }): AsyncGenerator<Buffer[]>
  sscan(key: string | Buffer, options: KeyScanOptions = {}): AsyncGenerator<(string | Buffer)[]> {
    checkScanOptions(options)
    return scanKey(this, 'SSCAN', key, options)
  }

  /** Member–score pairs of a sorted set, without a full ZRANGE. */
  zscan(
    key: string | Buffer,
    options?: KeyScanOptions & { readonly buffers?: false },
  ): AsyncGenerator<string[]>
  zscan(key: string | Buffer, options: KeyScanOptions & { readonly buffers: true }): AsyncGenerator<Buffer[]>
  zscan(key: string | Buffer, options: KeyScanOptions = {}): AsyncGenerator<(string | Buffer)[]> {
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
    return new ChannelSubscriber(this.options, this.#topology, channel, handlers)
  }

  /**
   * A dedicated pub/sub connection for channels, patterns and (on a Cluster) sharded
   * channels; it resubscribes after a reconnect and reports up/down.
   */
  subscriber(): Promise<SubscriberPort> {
    return openSubscriber(this.options, this.#topology)
  }

  /** Every master (the one server, when standalone), to visit each: SCAN, INFO, audits. */
  async masters(): Promise<NodeExecutor[]> {
    const senders = await this.#topology.masters()
    return senders.map((sender) => new NodeExecutor(sender, this.options.commandTimeoutMs, this.#gate))
  }

  /** Version, mode, modules, persistence, memory policy and listpack limits — per master on a Cluster. */
  async probe(): Promise<ServerProbe> {
    return probeMasters(await this.masters(), this.mode)
  }

  /** Closes the connection(s); commands still in flight get up to closeTimeoutMs for their replies. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#topology.close()
  }

  /** What `console.log(db)` shows: the target, its password redacted, never the options' secrets. */
  [inspect.custom](): string {
    return `RedisExpertClient { mode: '${this.mode}', target: '${describeTarget(this.options.target)}', ready: ${this.#topology.ready}, closed: ${this.#closed} }`
  }

  #assertOpen(command: Command): void {
    if (this.#closed)
      throw new RedisExpertError(
        'CONNECTION_CLOSED',
        `${argText(command[0]).toUpperCase()}: the client is closed`,
      )
  }
}
