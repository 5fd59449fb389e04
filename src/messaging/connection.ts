import type { RedisExpertClient } from '../client/client.js'
import { connectResolved } from '../client/connect.js'

/**
 * A second client to the same deployment, with the same credentials, guard and keyspaces.
 *
 * Why: a blocking read (XREADGROUP BLOCK) holds its connection for the whole wait, and the
 * client's connection is shared and pipelined — every other command would queue behind it.
 * Blocking reads therefore get a connection of their own.
 */
export function openSibling(db: RedisExpertClient, clientName: string): Promise<RedisExpertClient> {
  return connectResolved({ ...db.options, clientName })
}
