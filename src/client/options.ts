import type { ConnectionOptions as TlsOptions } from 'node:tls'
import { nonNegativeInt, strictOptions } from '../common/validate.js'
import { invalidArgument } from '../errors.js'
import { isKeyspace, type Keyspace } from '../keyspace/define.js'
import { type Endpoint, type NodeAddress, parseAddress, redactUrl, resolveEndpoint } from './endpoint.js'
import { type GateOptions, resolveGateOptions } from './gate.js'

export type { NodeAddress }

/** The backoff between reconnection attempts after a connection drops. */
export interface ReconnectOptions {
  /** First retry delay, default 50 ms; doubles on each attempt. */
  readonly baseDelayMs?: number
  /** Upper bound of the delay, default 2000 ms. Each delay is jittered to 50–100 % of its value. */
  readonly maxDelayMs?: number
}

/**
 * How `connect()` reaches Redis (URL, Cluster root nodes or Sentinels), with timeouts, reconnection, TLS,
 * the guard mode and the keyspaces to declare.
 */
export interface ConnectOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://` for TLS. */
  readonly url?: string
  readonly cluster?: {
    /** Any reachable nodes; the rest of the Cluster is discovered from them. */
    readonly rootNodes: readonly (string | NodeAddress)[]
    /** Send read-only commands to replicas, default false. */
    readonly useReplicas?: boolean
  }
  /**
   * A Sentinel-managed master: `name` as in `sentinel monitor <name> ...`, and any Sentinels
   * (URLs or addresses). `username`/`password` (and `tls`) log in to the data nodes; the
   * Sentinels' own login, when they have one, goes in `sentinelUsername`/`sentinelPassword`.
   */
  readonly sentinel?: SentinelOptions
  /** ACL user (Redis 6+). */
  readonly username?: string
  readonly password?: string
  /** TLS: `true`, or Node's TLS options (ca, cert, key, servername, ...). */
  readonly tls?: boolean | TlsOptions
  /** Logical database (standalone and Sentinel; a Cluster has only database 0). */
  readonly database?: number
  /** How long close() lets commands in flight finish before dropping them, default 2000 ms. */
  readonly closeTimeoutMs?: number
  /** Per-command timeout, default 5000 ms. Enforced by one sweep, not a timer per command. */
  readonly commandTimeoutMs?: number
  /**
   * The whole connect — TCP, TLS, login, and every retry of the first connection — default
   * 5000 ms. A server that accepts and stays silent fails within it.
   */
  readonly connectTimeoutMs?: number
  /**
   * While disconnected, how long a command waits for the connection to come back
   * before failing with CONNECTION_UNAVAILABLE, default 1000 ms (and never longer than its timeout).
   */
  readonly offlineWaitMs?: number
  /** How many times the first connection is retried before `connect()` fails, default 2. */
  readonly connectRetries?: number
  readonly reconnect?: ReconnectOptions
  /** CLIENT SETNAME, shown in CLIENT LIST. */
  readonly clientName?: string
  /** The hard stops: 'strict' (default) refuses, 'warn' emits `violation` events, 'off' skips the checks. */
  readonly guard?: 'strict' | 'warn' | 'off'
  /** The widest range, COUNT or LIMIT one call may ask for without a declared bound, default 1000. */
  readonly maxRange?: number
  /** Keyspaces whose declarations the guard applies (db.keyspace(ks) adds more). */
  readonly keyspaces?: readonly Keyspace[]
}

/** Options with every default applied, resolved once at connect. */
export interface SentinelOptions {
  readonly name: string
  readonly sentinels: readonly (string | NodeAddress)[]
  readonly sentinelUsername?: string
  readonly sentinelPassword?: string
}

export interface ResolvedOptions {
  /** Where to connect; every Endpoint holds its secret out of sight (see endpoint.ts). */
  readonly target: Target
  readonly commandTimeoutMs: number
  readonly closeTimeoutMs: number
  readonly connectTimeoutMs: number
  readonly offlineWaitMs: number
  readonly connectRetries: number
  readonly reconnect: Required<ReconnectOptions>
  readonly clientName: string | undefined
  readonly gate: GateOptions
  readonly keyspaces: readonly Keyspace[]
}

export type Target =
  | { readonly kind: 'standalone'; readonly endpoint: Endpoint }
  | { readonly kind: 'cluster'; readonly rootNodes: readonly Endpoint[]; readonly useReplicas: boolean }
  | {
      readonly kind: 'sentinel'
      readonly name: string
      readonly sentinels: readonly Endpoint[]
      /** The login (and TLS, database) of the data nodes; its address is a placeholder. */
      readonly node: Endpoint
    }

const KNOWN_OPTIONS = new Set([
  'url',
  'cluster',
  'sentinel',
  'username',
  'password',
  'tls',
  'database',
  'commandTimeoutMs',
  'connectTimeoutMs',
  'closeTimeoutMs',
  'offlineWaitMs',
  'connectRetries',
  'reconnect',
  'clientName',
  'guard',
  'maxRange',
  'keyspaces',
])

export function resolveOptions(options: ConnectOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null)
    throw invalidArgument('connect() takes an options object')
  const chosen = [options.url, options.cluster, options.sentinel].filter((x) => x !== undefined).length
  if (chosen > 1) throw invalidArgument('connect(): give one of url, cluster or sentinel, not several')
  strictOptions('connect()', options, KNOWN_OPTIONS)
  if (options.reconnect !== undefined)
    strictOptions('connect({ reconnect })', options.reconnect, ['baseDelayMs', 'maxDelayMs'])
  return {
    target: resolveTarget(options),
    commandTimeoutMs: positive(options.commandTimeoutMs ?? 5000, 'commandTimeoutMs'),
    closeTimeoutMs: positive(options.closeTimeoutMs ?? 2000, 'closeTimeoutMs'),
    connectTimeoutMs: positive(options.connectTimeoutMs ?? 5000, 'connectTimeoutMs'),
    offlineWaitMs: nonNegativeInt('offlineWaitMs', options.offlineWaitMs, 1000),
    connectRetries: nonNegativeInt('connectRetries', options.connectRetries, 2),
    reconnect: {
      baseDelayMs: positive(options.reconnect?.baseDelayMs ?? 50, 'reconnect.baseDelayMs'),
      maxDelayMs: positive(options.reconnect?.maxDelayMs ?? 2000, 'reconnect.maxDelayMs'),
    },
    clientName: optionalString(options.clientName, 'clientName'),
    gate: resolveGateOptions(options.guard, options.maxRange),
    keyspaces: resolveKeyspaces(options.keyspaces),
  }
}

function resolveKeyspaces(keyspaces: unknown): readonly Keyspace[] {
  if (keyspaces === undefined) return []
  if (!Array.isArray(keyspaces) || !keyspaces.every(isKeyspace))
    throw invalidArgument('keyspaces must be an array of defineKeyspace() results')
  return keyspaces
}

function resolveTarget(options: ConnectOptions): Target {
  const login = {
    username: optionalString(options.username, 'username'),
    password: optionalString(options.password, 'password'),
    tls: resolveTls(options.tls),
    database: options.database === undefined ? undefined : nonNegativeInt('database', options.database),
  }
  if (options.cluster !== undefined) {
    const cluster = options.cluster
    if (typeof cluster !== 'object' || cluster === null)
      throw invalidArgument('connect({ cluster }) takes { rootNodes, useReplicas? }')
    strictOptions('connect({ cluster })', cluster, ['rootNodes', 'useReplicas'])
    const nodes = cluster.rootNodes
    if (!Array.isArray(nodes) || nodes.length === 0)
      throw invalidArgument('connect({ cluster }): rootNodes must list at least one node')
    if (login.database !== undefined && login.database !== 0)
      throw invalidArgument('a Cluster has only database 0')
    if (cluster.useReplicas !== undefined && typeof cluster.useReplicas !== 'boolean')
      throw invalidArgument('cluster.useReplicas must be a boolean')
    return {
      kind: 'cluster',
      rootNodes: nodes.map((node) => resolveEndpoint(node, login)),
      useReplicas: cluster.useReplicas ?? false,
    }
  }
  if (options.sentinel !== undefined) {
    const sentinel = options.sentinel
    if (typeof sentinel !== 'object' || sentinel === null)
      throw invalidArgument('connect({ sentinel }) takes { name, sentinels }')
    strictOptions('connect({ sentinel })', sentinel, [
      'name',
      'sentinels',
      'sentinelUsername',
      'sentinelPassword',
    ])
    if (typeof sentinel.name !== 'string' || sentinel.name === '')
      throw invalidArgument("connect({ sentinel }): name is the monitored master's name")
    if (!Array.isArray(sentinel.sentinels) || sentinel.sentinels.length === 0)
      throw invalidArgument('connect({ sentinel }): sentinels must list at least one Sentinel')
    const sentinelLogin = {
      username: optionalString(sentinel.sentinelUsername, 'sentinelUsername'),
      password: optionalString(sentinel.sentinelPassword, 'sentinelPassword'),
      tls: login.tls,
    }
    return {
      kind: 'sentinel',
      name: sentinel.name,
      sentinels: sentinel.sentinels.map((node) => resolveEndpoint(node, sentinelLogin)),
      node: resolveEndpoint({ host: '0.0.0.0', port: 6379 }, login),
    }
  }
  return { kind: 'standalone', endpoint: resolveEndpoint(options.url ?? 'redis://127.0.0.1:6379', login) }
}

function resolveTls(tls: unknown): boolean | TlsOptions | undefined {
  if (tls === undefined || typeof tls === 'boolean') return tls
  if (typeof tls === 'object' && tls !== null) return tls as TlsOptions
  throw invalidArgument('tls must be true, false or an object of Node TLS options')
}

/** The endpoint of the node at `address` (host:port), with the deployment's login and TLS. */
export function nodeEndpoint(options: ResolvedOptions, address: string): Endpoint {
  const { host, port } = parseAddress(address)
  const target = options.target
  const template =
    target.kind === 'standalone'
      ? target.endpoint
      : target.kind === 'cluster'
        ? (target.rootNodes[0] as Endpoint)
        : target.node
  return template.at(host, port)
}

export { redactUrl }

export function describeTarget(target: Target): string {
  if (target.kind === 'standalone') return target.endpoint.url
  if (target.kind === 'cluster') return `cluster ${target.rootNodes.map((e) => e.url).join(', ')}`
  return `sentinel master '${target.name}' via ${target.sentinels.map((e) => e.address).join(', ')}`
}

function optionalString(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string') throw invalidArgument(`${name} must be a string`)
  return value
}

function positive(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
    throw invalidArgument(`${name} must be a positive number of milliseconds`, { [name]: value })
  return value
}
