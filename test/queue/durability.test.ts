import { afterAll, beforeAll, expect, it } from 'vitest'
import { connect, type RedisExpertClient } from '../../src/client/index.js'
import { Queue, Worker } from '../../src/queue/index.js'
import { type RedisServer, startRedis } from '../../src/testing/index.js'
import { sleep, waitFor } from '../messaging/helpers.js'

/*
 * Done when 2: redis-server with AOF `appendfsync always`, SIGKILLed while 10k jobs are being added
 * and worked, then restarted. Every add the server acknowledged must survive, adds that failed are
 * retried with the same jobId (idempotent), and every job completes.
 */
const TOTAL = 10_000
const IN_FLIGHT = 64

let server: RedisServer
let db: RedisExpertClient
let worker: Worker<number, number> | undefined

beforeAll(async () => {
  server = await startRedis({ config: { appendonly: 'yes', appendfsync: 'always' } })
  db = await connect({ url: server.url })
}, 60_000)
afterAll(async () => {
  await worker?.close()
  await db?.close()
  await server?.stop()
})

it('a server SIGKILLed during 10k adds loses no acknowledged add, and every job completes', async () => {
  const q = new Queue<number>(db, 'durable')
  const acknowledged = new Set<string>()
  let failedAdds = 0
  let crashed = false
  const ran = new Set<number>()
  worker = new Worker<number, number>(
    db,
    q.name,
    (job) => {
      ran.add(job.data)
      return job.data
    },
    { concurrency: 50, leaseMs: 1500, pollMs: 50 },
  )
  worker.start()

  // A job running when the server died has its lease expire: with attempts: 3 it runs again.
  // Producers: each index is added until the server acknowledges it; a retry reuses the jobId.
  let next = 0
  async function produce() {
    while (next < TOTAL) {
      const i = next++
      for (;;) {
        try {
          const { id } = await q.add('n', i, { jobId: `job-${i}`, attempts: 3 })
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
  await server.kill()
  const ackedBeforeCrash = [...acknowledged]
  crashed = true
  await server.restart()

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
