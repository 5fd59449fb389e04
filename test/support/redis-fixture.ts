import { afterAll } from 'vitest'
import type { ConnectOptions } from '../../src/client/index.js'
import { connect, type RedisExpertClient } from '../../src/connect.js'
import { type RedisServer, startRedis } from '../../src/testing/index.js'

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
  options: Omit<ConnectOptions, 'url'> = {},
): Promise<{ server: RedisServer; db: RedisExpertClient }> {
  const server = await startRedis()
  let db: RedisExpertClient
  try {
    db = await connect({ ...options, url: server.url })
  } catch (error) {
    // No afterAll is registered yet: nothing else would stop this server.
    await server.stop()
    throw error
  }
  afterAll(async () => {
    await db.close()
    await server.stop()
  })
  return { server, db }
}
