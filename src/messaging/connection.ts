import { connect, type RedisExpertClient } from '../client/client.js'
import type { ConnectOptions } from '../client/options.js'

/**
 * A second client to the same deployment, with the same credentials, guard and keyspaces.
 *
 * Why: a blocking read (XREADGROUP BLOCK) holds its connection for the whole wait, and the
 * client's connection is shared and pipelined — every other command would queue behind it.
 * Blocking reads therefore get a connection of their own.
 */
export function openSibling(db: RedisExpertClient, clientName: string): Promise<RedisExpertClient> {
  const o = db.options
  const target: ConnectOptions =
    o.target.kind === 'standalone'
      ? { url: o.target.url }
      : { cluster: { rootNodes: o.target.rootNodes, useReplicas: o.target.useReplicas } }
  return connect({
    ...target,
    ...(o.username === undefined ? {} : { username: o.username }),
    ...(o.password === undefined ? {} : { password: o.password }),
    ...(o.tls === undefined ? {} : { tls: o.tls }),
    ...(o.database === undefined ? {} : { database: o.database }),
    commandTimeoutMs: o.commandTimeoutMs,
    connectTimeoutMs: o.connectTimeoutMs,
    offlineWaitMs: o.offlineWaitMs,
    connectRetries: o.connectRetries,
    reconnect: o.reconnect,
    clientName,
    guard: o.gate.mode,
    maxRange: o.gate.maxRange,
    keyspaces: o.keyspaces,
  })
}
