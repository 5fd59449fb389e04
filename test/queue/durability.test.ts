import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { keySlot } from '../../src/common/slot.js'
import { connect, type RedisExpertClient } from '../../src/connect.js'
import { Queue, Worker } from '../../src/queue/index.js'
import {
  type RedisCluster,
  type RedisServer,
  slotRange,
  startCluster,
  startRedis,
} from '../../src/testing/index.js'
import { sleep, waitFor } from '../messaging/helpers.js'

/*
 * Done when 2: redis-server with AOF `appendfsync always`, SIGKILLed while 10k jobs are being added
 * and worked, then restarted. Every add the server acknowledged must survive, adds that failed are
 * retried with the same jobId (idempotent), and every job completes — with default job options. On the Cluster, the server
 * killed is the master that owns the queue's hash tag.
 */
const TOTAL = 10_000
const IN_FLIGHT = 64
const AOF_ALWAYS = { appendonly: 'yes', appendfsync: 'always' } as const

let server: RedisServer
let cluster: RedisCluster
const targets: Record<string, { db: RedisExpertClient; owner: (queueKey: string) => RedisServer }> = {}

beforeAll(async () => {
  ;[server, cluster] = await Promise.all([
    startRedis({ config: AOF_ALWAYS }),
    startCluster({ masters: 3, replicasPerMaster: 0, config: AOF_ALWAYS }),
  ])
  targets.standalone = { db: await connect({ url: server.url }), owner: () => server }
  const masters = cluster.nodes.filter((n) => n.role === 'master')
  targets.cluster = {
    db: await connect({ cluster: { rootNodes: cluster.rootNodes } }),
    owner: (key) => {
      const slot = keySlot(key)
      const i = masters.findIndex((_, m) => {
        const [from, to] = slotRange(m, masters.length)
        return slot >= from && slot <= to
      })
      return (masters[i] as (typeof masters)[number]).server
    },
  }
}, 60_000)
afterAll(async () => {
  await Promise.all(Object.values(targets).map((t) => t.db.close()))
  await Promise.all([server?.stop(), cluster?.stop()])
})

describe.each(['standalone', 'cluster'])('%s', (kind) => {
  it('a server SIGKILLed during 10k adds loses no acknowledged add, and every job completes', async () => {
    const { db, owner } = targets[kind] as (typeof targets)[string]
    const q = new Queue<number>(db, 'durable')
    const victim = owner(q.keys.wait)
    const acknowledged = new Set<string>()
    let failedAdds = 0
    let crashed = false
    const ran = new Set<number>()
    const worker = new Worker<number, number>(
      db,
      q.name,
      (job) => {
        ran.add(job.data)
        return job.data
      },
      { concurrency: 50, leaseMs: 1500, pollMs: 50 },
    )
    worker.start()
    onTestFinished(() => worker.close())

    // Default job options (one attempt): a job whose lease expires while the server is down
    // stalled, which costs no attempt, so it runs again; a take whose reply the crash lost gives
    // its jobs back uncounted. Producers: each index is added until the server acknowledges it; a retry reuses the jobId.
    let next = 0
    async function produce() {
      while (next < TOTAL) {
        const i = next++
        for (;;) {
          try {
            const { id } = await q.add('n', i, { jobId: `job-${i}` })
            acknowledged.add(id)
            break
          } catch {
            failedAdds++
            await sleep(20)
          }
        }
      }
    }
    const producers = Array.from({ length: IN_FLIGHT }, produce)

    await waitFor('a third of the adds', () => acknowledged.size >= TOTAL / 3, 15_000)
    await victim.kill()
    const ackedBeforeCrash = [...acknowledged]
    crashed = true
    await victim.restart()
    // A restarted Cluster master serves again once the others see it up (cluster_state:ok everywhere).
    await waitFor(
      'every master to report cluster_state:ok',
      async () =>
        kind === 'standalone' ||
        (
          await Promise.all((await db.masters()).map((m) => m.call(['CLUSTER', 'INFO']).catch(() => '')))
        ).every((info) => String(info).includes('cluster_state:ok')),
      15_000,
    )

    // Every add acknowledged before the crash is on the restarted server (its hash exists, as waiting,
    // active or completed: completed hashes keep a 24 h TTL).
    const exists = await db.batch(
      ackedBeforeCrash.map((id) => ['EXISTS', q.keys.job(id)]),
      { timeoutMs: 10_000 },
    )
    expect(exists.filter((e) => Number(e) !== 1)).toHaveLength(0)

    await Promise.all(producers)
    expect(acknowledged.size).toBe(TOTAL)
    await waitFor(
      'every job to complete',
      async () => {
        const c = await q.counts()
        return c.completed >= TOTAL
      },
      15_000,
    )
    const states = await db.batch(
      Array.from({ length: TOTAL }, (_, i) => ['HGET', q.keys.job(`job-${i}`), 'state']),
      { timeoutMs: 10_000 },
    )
    expect(states.filter((s) => s !== 'completed')).toHaveLength(0)
    expect(ran.size).toBe(TOTAL)
    expect(await q.counts()).toMatchObject({ wait: 0, delayed: 0, active: 0, dead: 0 })
    expect(crashed).toBe(true)
    // The crash did interrupt the run: adds in flight failed and were retried.
    expect(failedAdds).toBeGreaterThan(0)
  }, 40_000)
})
