import { RedisExpertError } from '../errors.js'
import { RedisExpertClient } from './client.js'
import { ClusterTopology } from './cluster.js'
import { parseCommandTable } from './command-info.js'
import { type ConnectOptions, describeTarget, type ResolvedOptions, resolveOptions } from './options.js'
import { SentinelTopology } from './sentinel.js'
import { SingleServer } from './standalone.js'
import type { Topology } from './topology.js'

/**
 * Connecting: the topology the options describe, its first connection, the server's command
 * table and the first durability check — then a RedisExpertClient on it (client.ts).
 */

/** The deployment `options` describe, not yet connected. */
export function createTopology(options: ResolvedOptions): Topology {
  const target = options.target
  const common = {
    clientName: options.clientName,
    connectTimeoutMs: options.connectTimeoutMs,
    commandTimeoutMs: options.commandTimeoutMs,
    closeTimeoutMs: options.closeTimeoutMs,
    reconnect: options.reconnect,
    connectRetries: options.connectRetries,
  }
  if (target.kind === 'cluster')
    return new ClusterTopology(target.rootNodes, target.useReplicas, {
      ...common,
      offlineWaitMs: options.offlineWaitMs,
    })
  if (target.kind === 'standalone')
    return new SingleServer('standalone', { ...common, locate: () => target.endpoint })
  return new SentinelTopology(target, common)
}

/**
 * Connects to a standalone server (`url`), a Cluster (`cluster.rootNodes`) or a
 * Sentinel-managed master (`sentinel`). Resolves once connected; fails within
 * `connectTimeoutMs` with CONNECTION_FAILED (password redacted) otherwise.
 */
export async function connect(options: ConnectOptions = {}): Promise<RedisExpertClient> {
  return connectResolved(resolveOptions(options))
}

/** `connect()` with options already resolved (a sibling connection of an existing client). */
export async function connectResolved(resolved: ResolvedOptions): Promise<RedisExpertClient> {
  const topology = createTopology(resolved)
  try {
    await topology.connect()
  } catch (error) {
    await topology.close().catch(() => {})
    throw connectionFailed(resolved, error)
  }
  try {
    // Key positions and flags for routing and the guard, from the server itself: modules included.
    // An ACL user without +command gets an empty table: the guard then knows keys only for the
    // commands it classifies itself, and Cluster routing needs the permission.
    const [master] = await topology.masters()
    const commands = parseCommandTable(
      master ? await master.send(['COMMAND'], false, resolved.commandTimeoutMs).catch(() => null) : null,
    )
    const client = new RedisExpertClient(topology, resolved, commands)
    await client.checkDurability()
    return client
  } catch (error) {
    await topology.close().catch(() => {})
    throw error
  }
}

function connectionFailed(options: ResolvedOptions, error: unknown): RedisExpertError {
  if (error instanceof RedisExpertError && error.code === 'CONNECTION_FAILED') return error
  const target = describeTarget(options.target)
  const reason = error instanceof Error ? error.message : String(error)
  return new RedisExpertError('CONNECTION_FAILED', `could not connect to ${target}: ${reason}`, {
    details: { target },
  })
}
