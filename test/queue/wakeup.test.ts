import { performance } from 'node:perf_hooks'
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import type { RedisExpertClient } from '../../src/connect.js'
import { Queue, Worker } from '../../src/queue/index.js'
import { commandsOnMasters, sleep, waitFor } from '../messaging/helpers.js'
import { queueServers } from './helpers.js'

/*
 * Issue 15 (4): an idle worker blocks on the queue's wake-up signal (BLPOP on a dedicated
 * connection) and starts a new job within about a millisecond of its add, with no polling load.
 */
const { client } = queueServers()

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!
}

describe.each(['standalone', 'cluster'])('wake-up (%s)', (kind) => {
  let db: RedisExpertClient
  beforeAll(async () => {
    db = await client(kind)
  })

  it('an idle worker makes no calls while idle, and starts a job within milliseconds of its add', async () => {
    const q = new Queue<number>(db, `idle-${kind}`)
    let started: (at: number) => void = () => {}
    const w = new Worker<number, void>(db, q.name, () => started(performance.now()))
    w.start()
    onTestFinished(() => w.close())
    await sleep(100)
    // Idle for a second: at most the one blocking wait in flight, no take call (no polling).
    const idle = await commandsOnMasters(db, () => sleep(1000))
    expect(idle.EVALSHA ?? 0).toBe(0)
    expect(idle.BLPOP ?? 0).toBeLessThanOrEqual(1)
    const latencies: number[] = []
    for (let i = 0; i < 30; i++) {
      const start = new Promise<number>((resolve) => {
        started = resolve
      })
      const t0 = performance.now()
      await q.add('j', i)
      latencies.push((await start) - t0)
      await sleep(5)
    }
    // Generous bounds for a shared test machine; `npm run bench -- latency` measures it properly.
    expect(percentile(latencies, 50)).toBeLessThan(10)
    expect(w.stats().completed).toBe(30)
  })

  it('a delayed job added to an idle queue starts when due, not at the next safety poll', async () => {
    const q = new Queue<number>(db, `idle-delayed-${kind}`)
    let startedAt = 0
    const w = new Worker<number, void>(
      db,
      q.name,
      () => {
        startedAt = performance.now()
      },
      { pollMs: 10_000 },
    )
    w.start()
    onTestFinished(() => w.close())
    await sleep(100)
    const t0 = performance.now()
    await q.add('j', 1, { delayMs: 300 })
    await waitFor('started', () => startedAt > 0, 5000)
    expect(startedAt - t0).toBeGreaterThanOrEqual(250)
    expect(startedAt - t0).toBeLessThan(1000)
  })

  it('a bulk add wakes every idle worker (each wakes the next), long before the safety poll', async () => {
    const q = new Queue<number>(db, `idle-many-${kind}`)
    const byWorker = [0, 0, 0]
    const workers = byWorker.map((_, i) => {
      const w = new Worker<number, void>(
        db,
        q.name,
        async () => {
          byWorker[i]!++
          await sleep(50)
        },
        { concurrency: 2, pollMs: 10_000 },
      )
      w.start()
      return w
    })
    onTestFinished(() => Promise.all(workers.map((w) => w.close())).then(() => {}))
    await sleep(200)
    await q.addBulk(Array.from({ length: 60 }, (_, n) => ({ name: 'j', data: n })))
    await waitFor('all done', async () => (await q.counts()).completed === 60, 5000)
    expect(byWorker.every((n) => n > 0)).toBe(true)
  })

  it('close() of an idle worker ends its blocking wait at once', async () => {
    const q = new Queue<number>(db, `idle-close-${kind}`)
    const w = new Worker<number, void>(db, q.name, () => {}, { pollMs: 10_000 })
    w.start()
    await sleep(100)
    const t0 = performance.now()
    await w.close()
    expect(performance.now() - t0).toBeLessThan(500)
    // A job added after close is left for others.
    await q.add('j', 1)
    await sleep(100)
    expect((await q.counts()).wait).toBe(1)
  })

  it('resume() wakes idle workers', async () => {
    const q = new Queue<number>(db, `idle-resume-${kind}`)
    await q.pause()
    await q.add('j', 1)
    let ran = 0
    const w = new Worker<number, void>(db, q.name, () => void ran++, { pollMs: 10_000 })
    w.start()
    onTestFinished(() => w.close())
    await sleep(200)
    expect(ran).toBe(0)
    const t0 = performance.now()
    await q.resume()
    await waitFor('ran', () => ran === 1, 3000)
    expect(performance.now() - t0).toBeLessThan(1000)
  })
})
