import { optionNames, strictOptions } from '../common/validate.js'
import { RedisExpertError } from '../errors.js'
import type { ServerKind } from './binary.js'
import { type SetupReply, sendCommand, until } from './command.js'
import { type RedisServer, type StartRedisOptions, startRedis } from './server.js'

/** The Cluster to start: masters, replicas per master, redis.conf directives, timeouts, server kind. */
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
  /** `redis` or `valkey`; default from REDIS_EXPERT_SERVER, else redis. */
  readonly server?: ServerKind
}

/** One node of a launched Cluster. */
export interface ClusterNode {
  readonly url: string
  readonly port: number
  readonly role: 'master' | 'replica'
  readonly server: RedisServer
}

/** A running local Cluster started by `startCluster`. */
export interface RedisCluster {
  readonly nodes: readonly ClusterNode[]
  /** URLs of the masters, to pass as `connect({ cluster: { rootNodes } })`. */
  readonly rootNodes: readonly string[]
  /** Stops every node. */
  stop(): Promise<void>
  /** SIGKILLs node `index` (of `nodes`). */
  killNode(index: number): Promise<void>
}

export const TOTAL_SLOTS = 16384

/** One setup command to one node, each bounded. */
type Send = (server: RedisServer, args: readonly (string | number)[]) => Promise<SetupReply>
const send: Send = (server, args) => sendCommand(server.host, server.port, args, { timeoutMs: 5000 })

/**
 * Starts a real Redis Cluster: every node a redis-server process, all 16384 slots split
 * evenly over the masters, replicas attached and listed in every node's CLUSTER SLOTS, and
 * `cluster_state:ok` on every node.
 */
const CLUSTER_OPTIONS = optionNames<StartClusterOptions>({
  masters: true,
  replicasPerMaster: true,
  config: true,
  nodeTimeoutMs: true,
  readyTimeoutMs: true,
  server: true,
})

/**
 * Starts a local Redis Cluster (every slot assigned, `cluster_state:ok`) of throwaway processes that die
 * with the test process.
 */
export async function startCluster(options: StartClusterOptions = {}): Promise<RedisCluster> {
  strictOptions('startCluster options', options, CLUSTER_OPTIONS)
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
    // Redis 7 and Valkey leave a replica out of CLUSTER SLOTS while its replication offset is 0,
    // which on an empty master lasts until the master's first ping down the link (10 s by default).
    'repl-ping-replica-period': 1,
    ...options.config,
  }
  const servers = await Promise.all(
    Array.from({ length: total }, () =>
      startRedis({ config, readyTimeoutMs: options.readyTimeoutMs, server: options.server }),
    ),
  )
  const stopAll = () => Promise.all(servers.map((s) => s.stop())).then(() => undefined)
  try {
    await assemble(servers, masterCount, options.readyTimeoutMs ?? 30_000)
  } catch (error) {
    await stopAll()
    throw new RedisExpertError('LAUNCHER_FAILED', `the cluster did not form: ${String(error)}`, {
      cause: error,
    })
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

async function assemble(servers: RedisServer[], masterCount: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs
  const ids = await Promise.all(servers.map((s) => send(s, ['CLUSTER', 'MYID']).then(String)))

  // Distinct config epochs up front, as redis-cli --cluster create does, so no epoch collision has to be resolved.
  await Promise.all(servers.map((s, i) => send(s, ['CLUSTER', 'SET-CONFIG-EPOCH', i + 1])))
  await Promise.all(
    servers.slice(0, masterCount).map((s, i) => {
      const [from, to] = slotRange(i, masterCount)
      return send(s, ['CLUSTER', 'ADDSLOTSRANGE', from, to])
    }),
  )
  // Every node meets every other directly rather than waiting for gossip to spread the news.
  await Promise.all(
    servers.flatMap((server, i) =>
      servers.slice(i + 1).map((other) => send(server, ['CLUSTER', 'MEET', other.host, other.port])),
    ),
  )

  await until(deadline, 'every node to know every other', async () => {
    const views = await Promise.all(servers.map((s) => send(s, ['CLUSTER', 'NODES']).then(String)))
    return views.every(
      (view) =>
        view
          .trim()
          .split('\n')
          .filter((l) => !l.includes('handshake')).length === servers.length,
    )
  })

  for (let r = masterCount; r < servers.length; r++) {
    const master = ids[(r - masterCount) % masterCount] as string
    const replica = servers[r] as RedisServer
    await send(replica, ['CLUSTER', 'REPLICATE', master])
  }

  await until(deadline, 'cluster_state:ok on every node', async () => {
    const infos = await Promise.all(servers.map((s) => send(s, ['CLUSTER', 'INFO']).then(String)))
    return infos.every((info) => info.includes('cluster_state:ok'))
  })
  await until(deadline, 'every replica to be linked to its master', async () => {
    const infos = await Promise.all(
      servers.slice(masterCount).map((s) => send(s, ['INFO', 'replication']).then(String)),
    )
    return infos.every((info) => info.includes('master_link_status:up'))
  })
  // What clients route by: until every node lists every replica, a client that loads its slot map
  // sends replica reads to the masters, and finds the replicas only at its next reload.
  const replicasPerMaster = (servers.length - masterCount) / masterCount
  if (replicasPerMaster > 0)
    await until(deadline, 'every node to list every replica in CLUSTER SLOTS', async () => {
      const views = await Promise.all(servers.map((s) => send(s, ['CLUSTER', 'SLOTS'])))
      return views.every(
        (ranges) =>
          Array.isArray(ranges) &&
          ranges.every((range) => Array.isArray(range) && range.length >= 3 + replicasPerMaster),
      )
    })
}
