import { afterAll } from 'vitest'
import type { ConnectOptions } from '../../src/client/index.js'
import { connect, type RedisExpertClient } from '../../src/connect.js'
import {
  type RedisCluster,
  type RedisServer,
  type StartClusterOptions,
  startCluster,
  startRedis,
} from '../../src/testing/index.js'

/** Connect options besides the target: the fixture supplies the url or the Cluster's root nodes. */
export type FileConnectOptions = Omit<ConnectOptions, 'url' | 'cluster' | 'sentinel'>

/**
 * The setup most integration test files share: a redis-server of the file's own, started by the
 * toolkit's launcher (never 127.0.0.1:6379), and a client connected to it; both closed after the
 * file's last test.
 *
 *   const { server, db } = await startRedisForFile()   // or startRedisForFile({ guard: 'off' })
 *
 * Called with top-level await at the top of the test file, so its tests read `db` and `server` as
 * constants instead of variables a beforeAll assigns later. The closing is an afterAll registered
 * here; vitest runs after-all hooks in reverse order of registration, so a file's own afterAll
 * (closing a second client on this server, say) still runs before the server stops.
 */
export async function startRedisForFile(
  options: FileConnectOptions = {},
): Promise<{ server: RedisServer; db: RedisExpertClient }> {
  const server = await startRedis()
  const db = await connectForFile(server, { ...options, url: server.url })
  return { server, db }
}

/**
 * The same for the Cluster test files: a local Cluster of the file's own, started by the
 * launcher with `cluster` (what `startCluster` takes), and a client connected to its masters;
 * both closed after the file's last test.
 *
 *   const { cluster, db } = await startClusterForFile({ masters: 3, replicasPerMaster: 0 })
 *   // or startClusterForFile({ masters: 3, replicasPerMaster: 1 }, { guard: 'off' })
 *
 * Called with top-level await at the top of the test file, like startRedisForFile; the closing is
 * an afterAll registered here, so a file's own afterAll still runs before the Cluster stops.
 */
export async function startClusterForFile(
  cluster: StartClusterOptions = {},
  options: FileConnectOptions = {},
): Promise<{ cluster: RedisCluster; db: RedisExpertClient }> {
  const launched = await startCluster(cluster)
  const db = await connectForFile(launched, { ...options, cluster: { rootNodes: launched.rootNodes } })
  return { cluster: launched, db }
}

/**
 * One more client on the file's server (an observer with the guard off, a second writer), closed
 * after the file's last test, before the server stops (registered after the file's fixture, its
 * afterAll runs first).
 *
 *   const observer = await connectAlsoForFile(server, { guard: 'off' })
 */
export async function connectAlsoForFile(
  server: RedisServer,
  options: FileConnectOptions = {},
): Promise<RedisExpertClient> {
  const db = await connect({ ...options, url: server.url })
  afterAll(() => db.close())
  return db
}

/**
 * Connects to what the launcher just started and registers the afterAll that closes the client,
 * then stops the server or Cluster. If the connect fails, stops it at once and rethrows.
 */
async function connectForFile(
  launched: { stop(): Promise<void> },
  options: ConnectOptions,
): Promise<RedisExpertClient> {
  let db: RedisExpertClient
  try {
    db = await connect(options)
  } catch (error) {
    // No afterAll is registered yet: nothing else would stop these processes.
    await launched.stop()
    throw error
  }
  afterAll(async () => {
    await db.close()
    await launched.stop()
  })
  return db
}
