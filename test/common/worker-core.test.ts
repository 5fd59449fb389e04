import { describe, expect, it, onTestFinished } from 'vitest'
import { Slots } from '../../src/kit/worker-core.js'
import { Queue, Worker } from '../../src/queue/index.js'
import { codeOf } from '../support/errors.js'
import { startRedisForFile } from '../support/redis-fixture.js'
import { sleep, waitFor } from '../support/wait.js'

/*
 * Issue 15 (6): the worker core the queue, stream, Celery and RQ workers share — autorun,
 * idempotent start, graceful and bounded close, error events. Shown here on the queue's Worker;
 * each worker's own tests show the same on it.
 */
const { db } = await startRedisForFile()

describe('Slots (pure)', () => {
  it('counts, waits for a free slot and for none in use', async () => {
    const s = new Slots(2)
    s.take()
    s.take()
    expect(s.free).toBe(0)
    let freed = false
    const waiting = s.waitFree().then(() => {
      freed = true
    })
    await sleep(5)
    expect(freed).toBe(false)
    s.release()
    await waiting
    expect(freed).toBe(true)
    const drained = s.drained()
    s.release()
    await drained
    expect(s.used).toBe(0)
  })
})

describe('the worker core (on the queue Worker)', () => {
  it('starts on construction; start() is idempotent', async () => {
    const q = new Queue<number>(db, 'core-autorun')
    await q.add('j', 1)
    const ran: number[] = []
    const w = new Worker<number, void>(db, q.name, (job) => void ran.push(job.data))
    onTestFinished(() => w.close())
    await waitFor('ran', () => ran.length === 1)
    const first = w.start()
    expect(w.start()).toBe(first)
    await first
  })

  it('autorun: false waits for start()', async () => {
    const q = new Queue<number>(db, 'core-manual')
    await q.add('j', 1)
    const ran: number[] = []
    const w = new Worker<number, void>(db, q.name, (job) => void ran.push(job.data), { autorun: false })
    onTestFinished(() => w.close())
    await sleep(200)
    expect(ran).toEqual([])
    expect(w.state).toBe('new')
    await w.start()
    expect(w.state).toBe('running')
    await waitFor('ran', () => ran.length === 1)
  })

  it('close({ timeoutMs }) is bounded: a handler that never ends has its signal fired, and close resolves', async () => {
    const q = new Queue<number>(db, 'core-bounded')
    await q.add('j', 1)
    let aborted: unknown = null
    let started = false
    const w = new Worker<number, void>(db, q.name, (job) => {
      started = true
      job.signal.addEventListener('abort', () => {
        aborted = job.signal.reason
      })
      return new Promise(() => {})
    })
    await waitFor('started', () => started)
    const t0 = Date.now()
    await w.close({ timeoutMs: 150 })
    expect(Date.now() - t0).toBeLessThan(1500)
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140)
    expect(String(aborted)).toMatch(/closed/)
    expect(w.state).toBe('closed')
    expect(await codeOf(w.start())).toBe('INVALID_ARGUMENT')
  })

  it('closeTimeoutMs bounds every close(); close() twice is one close', async () => {
    const q = new Queue<number>(db, 'core-default-bound')
    await q.add('j', 1)
    let started = false
    const w = new Worker<number, void>(
      db,
      q.name,
      () => {
        started = true
        return new Promise(() => {})
      },
      { closeTimeoutMs: 100 },
    )
    await waitFor('started', () => started)
    const a = w.close()
    expect(w.close()).toBe(a)
    await a
  })

  it("handler failures and background errors reach onError and 'error' listeners; none needed", async () => {
    const q = new Queue<number>(db, 'core-errors')
    await q.addBulk([1, 2].map((n) => ({ name: 'j', data: n })))
    const viaOption: unknown[] = []
    const viaEvent: [unknown, unknown][] = []
    const w = new Worker<number, void>(
      db,
      q.name,
      (job) => {
        throw new Error(`no ${job.data}`)
      },
      { onError: (error) => void viaOption.push(error) },
    )
    w.on('error', (error, job) => void viaEvent.push([error, job]))
    onTestFinished(() => w.close())
    await waitFor('both failed', () => viaEvent.length === 2)
    expect(viaOption).toHaveLength(2)
    expect(viaEvent.map(([e]) => (e as Error).message).sort()).toEqual(['no 1', 'no 2'])
    expect(viaEvent[0]![1]).toMatchObject({ name: 'j' })
    // No listener and no onError: the failure is recorded, nothing crashes.
    const quiet = new Worker<number, void>(db, q.name, () => {
      throw new Error('quiet')
    })
    await q.add('j', 3)
    await waitFor('dead', async () => (await q.counts()).dead === 3)
    await quiet.close()
  })

  it('refuses bad core options', async () => {
    expect(await codeOf(() => new Worker(db, 'x', () => {}, { autorun: 'yes' as never }))).toBe(
      'INVALID_ARGUMENT',
    )
    expect(await codeOf(() => new Worker(db, 'x', () => {}, { closeTimeoutMs: -1 }))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => new Worker(db, 'x', () => {}, { concurrency: 1.5 }))).toBe('INVALID_ARGUMENT')
  })
})
