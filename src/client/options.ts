import type { ConnectionOptions as TlsOptions } from 'node:tls'
import { invalidArgument } from '../errors.js'
import { isKeyspace, type Keyspace } from '../keyspace/define.js'
import { type GateOptions, resolveGateOptions } from './gate.js'

export interface NodeAddress {
  readonly host: string
  readonly port: number
}

export interface ReconnectOptions {
  /** First retry delay, default 50 ms; doubles on each attempt. */
  readonly baseDelayMs?: number
  /** Upper bound of the delay, default 2000 ms. Each delay is jittered to 50–100 % of its value. */
  readonly maxDelayMs?: number
}

export interface ConnectOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://` for TLS. */
  readonly url?: string
  readonly cluster?: {
    /** Any reachable nodes; the rest of the Cluster is discovered from them. */
    readonly rootNodes: readonly (string | NodeAddress)[]
    /** Send read-only commands to replicas, default false. */
    readonly useReplicas?: boolean
  }
  /** Reserved: Sentinel discovery (`{ name, sentinels }`). Not implemented yet. */
  readonly sentinel?: { readonly name: string; readonly sentinels: readonly NodeAddress[] }
  /** ACL user (Redis 6+). */
  readonly username?: string
  readonly password?: string
  /** TLS: `true`, or Node's TLS options (ca, cert, key, servername, ...). */
  readonly tls?: boolean | TlsOptions
  /** Logical database (standalone only). */
  readonly database?: number
  /** Per-command timeout, default 5000 ms. Enforced by one sweep, not a timer per command. */
  readonly commandTimeoutMs?: number
  /** TCP connect timeout, default 5000 ms. */
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
  /**
   * How a standalone connection speaks to the server: `'builtin'` (default) is the toolkit's
   * own lean RESP2 transport (one write per tick, a streaming parser; a fraction of the
   * client CPU per command); `'node-redis'` uses node-redis for it, should a deployment need
   * something only node-redis does. A Cluster always uses node-redis; WATCH transactions
   * (`watch()`) use node-redis connections with either.
   */
  readonly transport?: 'builtin' | 'node-redis'
}

/** Options with every default applied, resolved once at connect. */
export interface ResolvedOptions {
  readonly target: Target
  readonly username: string | undefined
  readonly password: string | undefined
  readonly tls: boolean | TlsOptions | undefined
  readonly database: number | undefined
  readonly commandTimeoutMs: number
  readonly connectTimeoutMs: number
  readonly offlineWaitMs: number
  readonly connectRetries: number
  readonly reconnect: Required<ReconnectOptions>
  readonly clientName: string | undefined
  readonly gate: GateOptions
  readonly keyspaces: readonly Keyspace[]
  readonly transport: 'builtin' | 'node-redis'
}

export type Target =
  | { readonly kind: 'standalone'; readonly url: string }
  | { readonly kind: 'cluster'; readonly rootNodes: readonly string[]; readonly useReplicas: boolean }

export function resolveOptions(options: ConnectOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null)
    throw invalidArgument('connect() takes an options object')
  const chosen = [options.url, options.cluster, options.sentinel].filter((x) => x !== undefined).length
  if (chosen > 1) throw invalidArgument('connect(): give one of url, cluster or sentinel, not several')
  if (options.sentinel)
    throw invalidArgument('connect({ sentinel }) is not implemented yet; use url or cluster')
  return {
    target: resolveTarget(options),
    username: optionalString(options.username, 'username'),
    password: optionalString(options.password, 'password'),
    tls: options.tls,
    database: options.database === undefined ? undefined : nonNegativeInteger(options.database, 'database'),
    commandTimeoutMs: positive(options.commandTimeoutMs ?? 5000, 'commandTimeoutMs'),
    connectTimeoutMs: positive(options.connectTimeoutMs ?? 5000, 'connectTimeoutMs'),
    offlineWaitMs: nonNegativeInteger(options.offlineWaitMs ?? 1000, 'offlineWaitMs'),
    connectRetries: nonNegativeInteger(options.connectRetries ?? 2, 'connectRetries'),
    reconnect: {
      baseDelayMs: positive(options.reconnect?.baseDelayMs ?? 50, 'reconnect.baseDelayMs'),
      maxDelayMs: positive(options.reconnect?.maxDelayMs ?? 2000, 'reconnect.maxDelayMs'),
    },
    clientName: optionalString(options.clientName, 'clientName'),
    gate: resolveGateOptions(options.guard, options.maxRange),
    keyspaces: resolveKeyspaces(options.keyspaces),
    transport: resolveTransport(options.transport),
  }
}

function resolveTransport(transport: unknown): 'builtin' | 'node-redis' {
  if (transport === undefined) return 'builtin'
  if (transport !== 'builtin' && transport !== 'node-redis')
    throw invalidArgument("transport must be 'builtin' or 'node-redis'", { transport })
  return transport
}

function resolveKeyspaces(keyspaces: unknown): readonly Keyspace[] {
  if (keyspaces === undefined) return []
  if (!Array.isArray(keyspaces) || !keyspaces.every(isKeyspace))
    throw invalidArgument('keyspaces must be an array of defineKeyspace() results')
  return keyspaces
}

function resolveTarget(options: ConnectOptions): Target {
  if (options.cluster) {
    const nodes = options.cluster.rootNodes
    if (!Array.isArray(nodes) || nodes.length === 0)
      throw invalidArgument('connect({ cluster }): rootNodes must list at least one node')
    return {
      kind: 'cluster',
      rootNodes: nodes.map((node) => (typeof node === 'string' ? checkUrl(node) : addressUrl(node))),
      useReplicas: options.cluster.useReplicas ?? false,
    }
  }
  return { kind: 'standalone', url: checkUrl(options.url ?? 'redis://127.0.0.1:6379') }
}

function addressUrl(node: NodeAddress): string {
  if (typeof node?.host !== 'string' || !Number.isInteger(node.port))
    throw invalidArgument('a node address is { host: string, port: integer }')
  return `redis://${node.host.includes(':') ? `[${node.host}]` : node.host}:${node.port}`
}

function checkUrl(url: string): string {
  if (typeof url !== 'string') throw invalidArgument('url must be a string such as redis://127.0.0.1:6379')
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw invalidArgument(`not a URL: ${redactUrl(url)} (expected redis://host:port)`)
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:')
    throw invalidArgument(
      `unsupported scheme ${parsed.protocol} in ${redactUrl(url)}: use redis:// or rediss://`,
    )
  return url
}

/** The URL with its password replaced, safe for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString().replace(/\/$/, '')
  } catch {
    // Not parseable: drop anything that looks like credentials.
    return url.replace(/\/\/[^@/]*@/, '//***@')
  }
}

export function describeTarget(target: Target): string {
  return target.kind === 'standalone'
    ? redactUrl(target.url)
    : `cluster ${target.rootNodes.map(redactUrl).join(', ')}`
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

function nonNegativeInteger(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
    throw invalidArgument(`${name} must be a non-negative integer`, { [name]: value })
  return value
}
