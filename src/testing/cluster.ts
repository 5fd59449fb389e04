import { createClient } from 'redis'
import { RedisExpertError } from '../errors.js'
import { type RedisServer, type StartRedisOptions, startRedis } from './server.js'

export interface StartClusterOptions {
  /** Number of masters, default 3 (at least 1). */
  readonly masters?: number
  /** Replicas attached to each master, default 1. */
  readonly replicasPerMaster?: number
  /** Extra redis.conf directives for every node (e.g. AOF). */
  readonly config?: StartRedisOptions['config']
  /** cluster-node-timeout, default 2000 ms so that failover tests are quick. */
  readonly nodeTimeoutMs?: number
  readonly readyTimeoutMs?: number
}

export interface ClusterNode {
  readonly url: string
  readonly port: number
  readonly role: 'master' | 'replica'
  readonly server: RedisServer
}

export interface RedisCluster {
  readonly nodes: readonly ClusterNode[]
  /** URLs of the masters, to pass as `connect({ cluster: { rootNodes } })`. */
  readonly rootNodes: readonly string[]
  stop(): Promise<void>
  /** SIGKILLs node `index` (of `nodes`). */
  killNode(index: number): Promise<void>
}

export const TOTAL_SLOTS = 16384

function openSetupClient(url: string) {
  const client = createClient({ url, socket: { reconnectStrategy: false } })
  client.on('error', () => {})
  return client.connect()
}
type SetupClient = Awaited<ReturnType<typeof openSetupClient>>

/**
 * Starts a real Redis Cluster: every node a redis-server process, all 16384 slots split
 * evenly over the masters, replicas attached, and `cluster_state:ok` on every node.
 */
export async function startCluster(options: StartClusterOptions = {}): Promise<RedisCluster> {
  const masterCount = options.masters ?? 3
  const replicasPerMaster = options.replicasPerMaster ?? 1
  if (
    !Number.isInteger(masterCount) ||
    masterCount < 1 ||
    !Number.isInteger(replicasPerMaster) ||
    replicasPerMaster < 0
  )
    throw new RedisExpertError('INVALID_ARGUMENT', 'masters must be an integer ≥ 1 and replicasPerMaster ≥ 0')

  const total = masterCount * (1 + replicasPerMaster)
  const config = {
    'cluster-enabled': 'yes',
    'cluster-config-file': 'nodes.conf',
    'cluster-node-timeout': options.nodeTimeoutMs ?? 2000,
    // Replicas sync at once instead of waiting for more replicas to share a diskless transfer.
    'repl-diskless-sync-delay': 0,
    ...options.config,
  }
  const servers = await Promise.all(
    Array.from({ length: total }, () => startRedis({ config, readyTimeoutMs: options.readyTimeoutMs })),
  )
  const stopAll = () => Promise.all(servers.map((s) => s.stop())).then(() => undefined)
  const clients: SetupClient[] = []
  try {
    for (const server of servers) clients.push(await openSetupClient(server.url))
    await assemble(clients, servers, masterCount, options.readyTimeoutMs ?? 30_000)
  } catch (error) {
    await stopAll()
    throw new RedisExpertError('LAUNCHER_FAILED', `the cluster did not form: ${String(error)}`, {
      cause: error,
    })
  } finally {
    await Promise.all(clients.map((c) => c.close().catch(() => {})))
  }

  const nodes: ClusterNode[] = servers.map((server, i) => ({
    url: server.url,
    port: server.port,
    role: i < masterCount ? 'master' : 'replica',
    server,
  }))
  return {
    nodes,
    rootNodes: nodes.filter((n) => n.role === 'master').map((n) => n.url),
    stop: stopAll,
    async killNode(index) {
      const node = nodes[index]
      if (!node)
        throw new RedisExpertError('INVALID_ARGUMENT', `no node ${index}: the cluster has ${nodes.length}`)
      await node.server.kill()
    },
  }
}

/** The slot range master `i` of `count` owns: an even split, the remainder to the last. */
export function slotRange(i: number, count: number): [number, number] {
  const size = Math.floor(TOTAL_SLOTS / count)
  return [i * size, i === count - 1 ? TOTAL_SLOTS - 1 : (i + 1) * size - 1]
}

async function assemble(
  clients: SetupClient[],
  servers: RedisServer[],
  masterCount: number,
  timeoutMs: number,
) {
  const deadline = Date.now() + timeoutMs
  const ids = await Promise.all(clients.map((c) => c.sendCommand(['CLUSTER', 'MYID']) as Promise<string>))

  // Distinct config epochs up front, as redis-cli --cluster create does, so no epoch collision has to be resolved.
  await Promise.all(clients.map((c, i) => c.sendCommand(['CLUSTER', 'SET-CONFIG-EPOCH', String(i + 1)])))
  await Promise.all(
    clients.slice(0, masterCount).map((c, i) => {
      const [from, to] = slotRange(i, masterCount)
      return c.sendCommand(['CLUSTER', 'ADDSLOTSRANGE', String(from), String(to)])
    }),
  )
  const [first] = clients
  if (!first) return
  // Every node meets every other directly rather than waiting for gossip to spread the news.
  await Promise.all(
    clients.flatMap((client, i) =>
      servers
        .slice(i + 1)
        .map((server) => client.sendCommand(['CLUSTER', 'MEET', server.host, String(server.port)])),
    ),
  )

  await until(deadline, 'every node to know every other', async () => {
    const views = await Promise.all(
      clients.map((c) => c.sendCommand(['CLUSTER', 'NODES']) as Promise<string>),
    )
    return views.every(
      (view) =>
        view
          .trim()
          .split('\n')
          .filter((l) => !l.includes('handshake')).length === clients.length,
    )
  })

  for (let r = masterCount; r < clients.length; r++) {
    const master = ids[(r - masterCount) % masterCount]
    await clients[r]?.sendCommand(['CLUSTER', 'REPLICATE', master as string])
  }

  await until(deadline, 'cluster_state:ok on every node', async () => {
    const infos = await Promise.all(clients.map((c) => c.sendCommand(['CLUSTER', 'INFO']) as Promise<string>))
    return infos.every((info) => info.includes('cluster_state:ok'))
  })
  await until(deadline, 'every replica to be linked to its master', async () => {
    const infos = await Promise.all(
      clients.slice(masterCount).map((c) => c.sendCommand(['INFO', 'replication']) as Promise<string>),
    )
    return infos.every((info) => info.includes('master_link_status:up'))
  })
}

async function until(deadline: number, what: string, check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}
