import { createServer } from 'node:net'

/** Asks the kernel for a free loopback port. */
function ephemeralPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      )
    })
  })
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.unref()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}

/**
 * A free port for a redis-server. Cluster nodes also bind port + 10000 for the cluster
 * bus, so with `withBus` both must be free (and the port below 55536).
 */
export async function freePort(withBus = false): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await ephemeralPort()
    if (!withBus) return port
    if (port + 10000 < 65536 && (await isFree(port + 10000))) return port
    // The kernel's ephemeral range is usually 32768+, so draw from below it instead.
    const low = 20000 + Math.floor(Math.random() * 25000)
    if ((await isFree(low)) && (await isFree(low + 10000))) return low
  }
  throw new Error('could not find a free port pair for a cluster node')
}
