import { afterEach, describe, expect, it } from 'vitest'
import { parseSlots } from '../../src/client/cluster-map.js'
import { keySlot } from '../../src/common/slot.js'
import type { Reply } from '../../src/common/types.js'
import { connect, type RedisExpertClient } from '../../src/index.js'
import { sendCommand } from '../../src/testing/command.js'
import { type ClusterNode, type RedisCluster, startCluster } from '../../src/testing/index.js'
import { sleep } from '../support/wait.js'

/**
 * The fourth hard stop on a Cluster: a master SIGKILLed under writes. Asynchronous
 * replication acknowledges a write before any replica has it, so the promoted replica may
 * lack the last ones. With `min-replicas-to-write 1` on every node and `waitReplicas: 1` on
 * each write (WAIT in the same round trip), an acknowledged write is on a replica: none is
 * lost (the replica with the most data is the one promoted). Measured and printed: detection (kill → first write acknowledged by the new master),
 * acknowledged writes lost.
 */

let cluster: RedisCluster | undefined
let db: RedisExpertClient | undefined
afterEach(async () => {
  await db?.close()
  await cluster?.stop()
  db = undefined
  cluster = undefined
})

async function ownerIndex(c: RedisCluster, slot: number): Promise<number> {
  const ranges = parseSlots(
    (await sendCommand('127.0.0.1', c.nodes[0]?.port as number, ['CLUSTER', 'SLOTS'])) as Reply,
  )
  const range = ranges.find((r) => slot >= r.start && slot <= r.end)
  return c.nodes.findIndex((node: ClusterNode) => range?.master.endsWith(`:${node.port}`))
}

interface Outcome {
  readonly acknowledged: number
  readonly lost: number
  readonly detectionMs: number
  /** Replies that did not grow: only a failover that lost writes explains one. */
  readonly wrongReplies: number
}

async function killUnderWrites(safe: boolean): Promise<Outcome> {
  const config: Record<string, number> = safe ? { 'min-replicas-to-write': 1, 'min-replicas-max-lag': 1 } : {}
  // Two replicas per master: after a failover the new master still has one, so that
  // min-replicas-to-write 1 lets it take writes (with one, the shard refuses them — NOREPLICAS —
  // until the old master comes back as its replica: safe, and unavailable).
  cluster = await startCluster({ masters: 3, replicasPerMaster: 2, config })
  db = await connect({
    cluster: { rootNodes: cluster.rootNodes },
    guard: 'off',
    commandTimeoutMs: 1000,
    offlineWaitMs: 200,
  })
  const client = db
  const keys = Array.from({ length: 4 }, (_, i) => `durable:{victim}:${i}`)
  const victim = await ownerIndex(cluster, keySlot(keys[0] as string))
  const acknowledged = new Map<string, number>()
  let wrongReplies = 0
  let killedAt = 0
  let firstAfterKill = 0
  let running = true
  const writer = async (key: string) => {
    while (running) {
      // Only a write sent after the kill measures detection: one in flight at the kill may
      // still be acknowledged by the old master.
      const sentAfterKill = killedAt > 0
      try {
        const value = Number(
          await client.call(['INCR', key], safe ? { waitReplicas: 1, replicaTimeoutMs: 500 } : undefined),
        )
        // Each writer owns its key: its replies grow by one, unless a failover lost writes.
        if (value <= (acknowledged.get(key) ?? 0)) wrongReplies++
        acknowledged.set(key, Math.max(acknowledged.get(key) ?? 0, value))
        if (sentAfterKill && !firstAfterKill) firstAfterKill = Date.now()
      } catch {
        // Unavailable during the failover, or NOT_REPLICATED: not acknowledged.
      }
      await sleep(20)
    }
  }
  const writers = keys.map(writer)
  await sleep(1500)
  const killStarted = Date.now()
  await cluster.killNode(victim)
  killedAt = Date.now()
  const until = Date.now() + 15_000
  while (!firstAfterKill && Date.now() < until) await sleep(50)
  await sleep(1000)
  running = false
  await Promise.all(writers)
  let lost = 0
  let total = 0
  for (const key of keys) {
    const final = Number(await client.call(['GET', key]))
    const acked = acknowledged.get(key) ?? 0
    total += acked
    // INCR acknowledged up to `acked`: a final value below it lost the difference.
    lost += Math.max(0, acked - final)
  }
  return {
    acknowledged: total,
    lost,
    detectionMs: firstAfterKill ? firstAfterKill - killStarted : -1,
    wrongReplies,
  }
}

describe('a master SIGKILLed under writes', () => {
  it('with min-replicas-to-write 1 and waitReplicas 1: no acknowledged write is lost', async () => {
    const outcome = await killUnderWrites(true)
    console.log(`cluster SIGKILL, waitReplicas 1 + min-replicas-to-write 1: ${JSON.stringify(outcome)}`)
    expect(outcome.detectionMs).toBeGreaterThan(0)
    expect(outcome.acknowledged).toBeGreaterThan(100)
    expect(outcome.lost).toBe(0)
    expect(outcome.wrongReplies).toBe(0)
  }, 60_000)

  it('without them the client still follows the failover; losses are measured, not prevented', async () => {
    const outcome = await killUnderWrites(false)
    console.log(`cluster SIGKILL, asynchronous replication: ${JSON.stringify(outcome)}`)
    expect(outcome.detectionMs).toBeGreaterThan(0)
    expect(outcome.acknowledged).toBeGreaterThan(100)
    expect(outcome.lost).toBeGreaterThanOrEqual(0)
  }, 60_000)
})
