import { Cluster } from 'ioredis'
import { createCluster } from 'redis'
import { connect } from '../../src/index.js'
import { startCluster } from '../../src/testing/index.js'
import type { BenchCase, Suite } from '../harness.js'

const TOTAL = 100_000
const CONCURRENCY = 1000
const KEYS = Array.from({ length: 1000 }, (_, i) => `bench:cluster:${i}`)

type Get = (key: string) => Promise<unknown>

/** 1000 callers each awaiting one GET at a time, keys spread over every slot range. */
function concurrent(name: string, get: Get): BenchCase {
  return {
    name,
    async run() {
      let left = TOTAL
      const worker = async (w: number) => {
        let i = w
        while (left-- > 0) await get(KEYS[i++ % KEYS.length] as string)
      }
      await Promise.all(Array.from({ length: CONCURRENCY }, (_, w) => worker(w)))
      return TOTAL
    },
  }
}

/**
 * The client on a 3-master Cluster (started here, beside the suite's standalone server) against
 * ioredis's Cluster client, node-redis's, and the toolkit's own standalone figure in the same
 * run: users who outgrow one server should not get a slower client.
 */
export const clusterSuite: Suite = {
  name: `cluster: ${TOTAL / 1000}k GETs from ${CONCURRENCY} concurrent callers, 3 masters`,
  description:
    'GETs of 100-byte values under 1000 keys spread over all slots, on a local 3-master Cluster (no replicas); ' +
    'the standalone row runs the same workload on one redis-server, for scale. ioredis with auto-pipelining.',
  baseline: 'ioredis Cluster (auto-pipelining)',
  targets: [
    { case: 'redis-expert Cluster', minRatio: 3 },
    { case: 'redis-expert Cluster', minRatio: 0.6, relativeTo: 'redis-expert standalone' },
  ],
  async setup(server) {
    const cluster = await startCluster({ masters: 3, replicasPerMaster: 0 })
    const roots = cluster.rootNodes.map((url) => {
      const { hostname, port } = new URL(url)
      return { host: hostname, port: Number(port) }
    })
    const ours = await connect({ cluster: { rootNodes: cluster.rootNodes } })
    const standalone = await connect({ url: server.url })
    const io = new Cluster(roots, { enableAutoPipelining: true })
    const nodeRedis = createCluster({
      rootNodes: cluster.rootNodes.map((url) => ({ url })),
      RESP: 2,
      commandOptions: { timeout: 0 },
    })
    nodeRedis.on('error', () => {})
    await nodeRedis.connect()
    const value = 'x'.repeat(100)
    await Promise.all(KEYS.map((key) => ours.call(['SET', key, value, 'PX', 3_600_000])))
    await Promise.all(KEYS.map((key) => standalone.call(['SET', key, value, 'PX', 3_600_000])))
    return {
      cases: [
        concurrent('ioredis Cluster (auto-pipelining)', (key) => io.get(key)),
        concurrent('redis-expert Cluster', (key) => ours.call(['GET', key])),
        concurrent('node-redis Cluster', (key) => nodeRedis.sendCommand(key, true, ['GET', key])),
        concurrent('redis-expert standalone', (key) => standalone.call(['GET', key])),
      ],
      async teardown() {
        io.disconnect()
        await Promise.all([ours.close(), standalone.close(), nodeRedis.close()])
        await cluster.stop()
      },
    }
  },
}
