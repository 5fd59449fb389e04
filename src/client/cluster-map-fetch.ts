import { RedisExpertError } from '../errors.js'
import { parseShards, parseSlots, type SlotRange } from './cluster-map.js'
import { Connection } from './connection.js'
import type { ConnectionSettings } from './connection-open.js'
import type { Endpoint } from './endpoint.js'

/**
 * Where a Cluster's slot map (cluster-map.ts) comes from: the first node that gives one — the
 * known masters first, on their open connections, then the root nodes, each on a connection
 * opened for the question and closed after it. Rejects with the last node's failure.
 */
export async function fetchSlotMap(
  known: readonly { readonly connection: Connection | null }[],
  roots: readonly Endpoint[],
  settings: Omit<ConnectionSettings, 'endpoint'>,
): Promise<SlotRange[]> {
  const errors: unknown[] = []
  for (const link of known) {
    const connection = link.connection
    if (!connection) continue
    try {
      const ranges = await askMap(connection)
      if (ranges.length > 0) return ranges
    } catch (error) {
      errors.push(error)
    }
  }
  for (const root of roots) {
    let connection: Connection | null = null
    try {
      connection = await Connection.open({ ...settings, endpoint: root })
      const ranges = await askMap(connection)
      if (ranges.length > 0) return ranges
    } catch (error) {
      errors.push(error)
    } finally {
      connection?.destroy()
    }
  }
  const last = errors[errors.length - 1]
  throw last instanceof RedisExpertError
    ? last
    : new RedisExpertError('CONNECTION_FAILED', 'no Cluster node answered with a slot map', {
        details: { reason: 'no-map' },
      })
}

async function askMap(connection: Connection): Promise<SlotRange[]> {
  const tls = connection.endpoint.tls !== undefined
  let ranges: SlotRange[]
  try {
    ranges = parseShards(await connection.send(['CLUSTER', 'SHARDS']), tls)
  } catch (error) {
    // Before Redis 7: no SHARDS.
    if (!(error instanceof RedisExpertError) || error.code !== 'COMMAND_ERROR') throw error
    ranges = parseSlots(await connection.send(['CLUSTER', 'SLOTS']))
  }
  // A partial map (a node still joining) is used as it is: MOVED fills in the rest.
  return ranges
}
