import { describe, expect, it } from 'vitest'
import { connect } from '../../src/index.js'
import { sendCommand } from '../../src/testing/command.js'
import { startClusterForFile } from '../support/redis-fixture.js'
import { waitFor } from '../support/wait.js'

const { cluster, db } = await startClusterForFile({ masters: 3, replicasPerMaster: 1 }, { guard: 'off' })

/** Asks one node directly, bypassing the cluster client. */
async function onNode<T>(url: string, args: string[]): Promise<T> {
  const { hostname, port } = new URL(url)
  return (await sendCommand(hostname, Number(port), args)) as T
}

describe('a 3-master + 3-replica Cluster', () => {
  it('has every slot assigned and cluster_state:ok on every node', async () => {
    expect(cluster.nodes).toHaveLength(6)
    expect(cluster.nodes.filter((n) => n.role === 'master')).toHaveLength(3)
    for (const node of cluster.nodes) {
      const info = await onNode<string>(node.url, ['CLUSTER', 'INFO'])
      expect(info).toContain('cluster_state:ok')
      expect(info).toContain('cluster_slots_assigned:16384')
      expect(info).toContain('cluster_known_nodes:6')
    }
    for (const node of cluster.nodes.filter((n) => n.role === 'replica')) {
      expect(await onNode<string>(node.url, ['INFO', 'replication'])).toContain('role:slave')
    }
  })

  it('connect({ cluster }) reads and writes keys that land on every master', async () => {
    const keys = Array.from({ length: 300 }, (_, i) => `item:${i}`)
    for (const key of keys) expect(await db.call(['SET', key, key, 'PX', 60_000])).toBe('OK')
    for (const key of keys) expect(await db.call(['GET', key])).toBe(key)
    const perMaster = await Promise.all(cluster.rootNodes.map((url) => onNode<number>(url, ['DBSIZE'])))
    for (const count of perMaster) expect(count).toBeGreaterThan(50)
    expect(perMaster.reduce((a, b) => a + b, 0)).toBe(300)
  })

  it('routes commands whose keys move (EVAL numkeys, XREAD STREAMS, ZUNIONSTORE)', async () => {
    // The guard reads the script: its write carries a TTL, as any write must.
    expect(
      await db.call(['EVAL', 'return redis.call("SET", KEYS[1], ARGV[1], "PX", 60000)', 1, 'lua:{x}', 'v']),
    ).toBe('OK')
    expect(await db.call(['GET', 'lua:{x}'])).toBe('v')
    await db.call(['XADD', 's:{y}', '*', 'f', '1'])
    const read = await db.call(['XREAD', 'COUNT', 10, 'STREAMS', 's:{y}', '0'])
    expect(Array.isArray(read) && read.length).toBe(1)
    await db.call(['ZADD', 'z1:{t}', 1, 'a'])
    await db.call(['ZADD', 'z2:{t}', 2, 'b'])
    expect(await db.call(['ZUNIONSTORE', 'z3:{t}', 2, 'z1:{t}', 'z2:{t}'])).toBe(2)
  })

  it('runs a single-slot batch atomically on the owning master', async () => {
    const replies = await db.batch(
      [
        ['SET', 'cart:{42}:a', '1', 'PX', 60_000],
        ['SET', 'cart:{42}:b', '2', 'PX', 60_000],
        ['MGET', 'cart:{42}:a', 'cart:{42}:b'],
      ],
      { atomic: true },
    )
    expect(replies).toEqual(['OK', 'OK', ['1', '2']])
  })

  it('masters() gives one executor per master, for work that visits each', async () => {
    const masters = await db.masters()
    expect(masters).toHaveLength(3)
    const sizes = await Promise.all(masters.map((m) => m.call<number>(['DBSIZE'])))
    const direct = await Promise.all(cluster.rootNodes.map((url) => onNode<number>(url, ['DBSIZE'])))
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(direct.reduce((a, b) => a + b, 0))
    const [first] = masters
    expect(await first?.batch([['PING'], ['ECHO', 'x']])).toEqual(['PONG', 'x'])
    await expect(first?.call(['NOSUCHCOMMAND'])).rejects.toMatchObject({ code: 'COMMAND_ERROR' })
  })

  it('probe() reports every master', async () => {
    const probe = await db.probe()
    expect(probe.mode).toBe('cluster')
    expect(probe.masters).toHaveLength(3)
    const ports = probe.masters.map((m) => Number(m.address.split(':')[1])).sort()
    expect(ports).toEqual(
      cluster.nodes
        .filter((n) => n.role === 'master')
        .map((n) => n.port)
        .sort(),
    )
    for (const master of probe.masters) expect(master.configReadable).toBe(true)
  })

  it('useReplicas sends reads to replicas (READONLY) and writes to masters', async () => {
    const reader = await connect({
      cluster: { rootNodes: cluster.rootNodes, useReplicas: true },
      guard: 'off',
    })
    try {
      const keys = Array.from({ length: 200 }, (_, i) => `replica-read:${i}`)
      await Promise.all(keys.map((key) => reader.call(['SET', key, key, 'PX', 60_000])))
      const gets = async (role: 'master' | 'replica') => {
        let total = 0
        for (const node of cluster.nodes.filter((n) => n.role === role)) {
          const stats = await onNode<string>(node.url, ['INFO', 'commandstats'])
          total += Number(/cmdstat_get:calls=(\d+)/.exec(stats)?.[1] ?? 0)
        }
        return total
      }
      // Replication is asynchronous: read until every key is there. A replica whose connection
      // is still opening (READONLY first) is skipped for its master meanwhile, by design: on a
      // loaded machine some of these first reads go to masters (126 of 200 in one CI run).
      for (const key of keys) {
        let value = await reader.call(['GET', key])
        for (let i = 0; value !== key && i < 50; i++) {
          await new Promise((r) => setTimeout(r, 20))
          value = await reader.call(['GET', key])
        }
        expect(value).toBe(key)
      }
      // Every key replicated; once the reader's connection to every replica is up (READONLY:
      // flag r in CLIENT LIST), each read goes to a replica.
      const replicas = cluster.nodes.filter((n) => n.role === 'replica')
      await waitFor('a READONLY connection on every replica', async () => {
        const lists = await Promise.all(replicas.map((n) => onNode<string>(n.url, ['CLIENT', 'LIST'])))
        return lists.every((list) => /flags=\S*r/.test(list))
      })
      const before = await gets('replica')
      for (const key of keys) expect(await reader.call(['GET', key])).toBe(key)
      expect((await gets('replica')) - before).toBeGreaterThanOrEqual(keys.length)
    } finally {
      await reader.close()
    }
  })
})
