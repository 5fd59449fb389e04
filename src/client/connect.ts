import { RedisExpertError } from '../errors.js'
import type { Client, OpenClient } from './client.js'
import { ClusterTopology } from './cluster.js'
import { type CommandTable, parseCommandTable } from './command-info.js'
import { describeTarget, type ResolvedOptions } from './options.js'
import { SentinelTopology } from './sentinel.js'
import { SingleServer } from './standalone.js'
import type { Topology } from './topology.js'

/**
 * Connecting: the topology the options describe, its first connection, the server's command
 * table and the first durability check — then a client on it, of the class the caller makes
 * (the package's `connect()` in src/connect.ts makes a Client).
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

/** Makes the client once its topology is connected; `open` opens another one the same way (siblings). */
export type ClientFactory<C extends Client> = (
  topology: Topology,
  options: ResolvedOptions,
  commands: CommandTable,
  open: OpenClient,
) => C

/**
 * Connects the deployment `resolved` describes and makes a client on it. Fails within
 * `connectTimeoutMs` with CONNECTION_FAILED (password redacted) when it cannot.
 */
export async function openClient<C extends Client>(
  resolved: ResolvedOptions,
  make: ClientFactory<C>,
): Promise<C> {
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
    const client = make(topology, resolved, commands, (options) => openClient(options, make))
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
