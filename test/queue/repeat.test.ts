import { describe, expect, it, onTestFinished } from 'vitest'
import { Queue, Worker } from '../../src/queue/index.js'
import { nextSlot, occurrenceId } from '../../src/queue/repeat.js'
import { codeOf, sleep, waitFor } from '../messaging/helpers.js'
import { queueServers } from './helpers.js'

/*
 * Issue 15 (5): repeatable jobs — one job per slot across any number of workers and producers,
 * listing and removal, and they survive restarts.
 */
const { client, server } = queueServers({ appendonly: 'yes', appendfsync: 'always' })

describe('slots (pure)', () => {
  it('every: aligned on multiples since the epoch; cron: the next time strictly after, in its time zone', () => {
    expect(nextSlot({ every: 1000 }, 5_500, 'k')).toBe(6000)
    expect(nextSlot({ every: 1000 }, 6_000, 'k')).toBe(7000)
    const at = Date.UTC(2026, 0, 1, 10, 0, 0)
    expect(nextSlot({ cron: '0 * * * *' }, at, 'k')).toBe(at + 3_600_000)
    expect(nextSlot({ cron: '30 9 * * *', tz: 'America/New_York' }, at, 'k')).toBe(
      Date.UTC(2026, 0, 1, 14, 30),
    )
    // H fields: the key seeds them, so every process computes the same slot.
    expect(nextSlot({ cron: 'H * * * *' }, at, 'a')).toBe(nextSlot({ cron: 'H * * * *' }, at, 'a'))
    expect(occurrenceId('k', 123)).toMatch(/^rpt-[A-Za-z0-9_-]{16}-123$/)
  })
})

describe.each(['standalone', 'cluster'])('repeatable jobs (%s)', (kind) => {
  it('fire once per slot with 3 workers and 2 producers over several slots', async () => {
    const producers = [await client(kind), await client(kind)]
    const q = [
      new Queue<{ n: number }>(producers[0]!, `rpt-${kind}`),
      new Queue<{ n: number }>(producers[1]!, `rpt-${kind}`),
    ]
    const slots: number[] = []
    const workers = await Promise.all(
      [0, 1, 2].map(async () => {
        const db = await client(kind)
        return new Worker<{ n: number }, void>(db, q[0]!.name, (job) => {
          expect(job.data).toEqual({ n: 1 })
          slots.push(job.repeat!.slot)
        })
      }),
    )
    onTestFinished(() => Promise.all(workers.map((w) => w.close())).then(() => {}))
    const EVERY = 250
    // Both producers declare the same schedule, at once and again later (as restarts would).
    const [a, b] = await Promise.all(q.map((x) => x.repeat('tick', { n: 1 }, { every: EVERY })))
    expect(a!.key).toBe(b!.key)
    expect(a!.next).toBe(b!.next)
    expect([a!.added, b!.added].sort()).toEqual([false, true])
    await sleep(700)
    await q[1]!.repeat('tick', { n: 1 }, { every: EVERY })
    await waitFor('eight slots', () => slots.length >= 8, 10_000)
    expect(await q[0]!.removeRepeat(a!.key)).toBe(true)
    const seen = slots.length
    await sleep(3 * EVERY)
    // Removal: at most the occurrence that was running then; nothing after.
    expect(slots.length).toBeLessThanOrEqual(seen + 1)
    const sorted = [...slots].sort((x, y) => x - y)
    expect(new Set(sorted).size).toBe(sorted.length)
    // Consecutive slots, none skipped: each is a multiple of EVERY after the first.
    for (let i = 1; i < sorted.length; i++) expect(sorted[i]! - sorted[i - 1]!).toBe(EVERY)
    expect(sorted[0]).toBe(a!.next)
    expect(await q[0]!.repeatables()).toEqual([])
    expect(await q[0]!.counts()).toMatchObject({ wait: 0, delayed: 0, dead: 0 })
  }, 30_000)

  it('cron with a time zone (every second): once per slot; listing shows the schedule and its next run', async () => {
    const db = await client(kind)
    const q = new Queue<string>(db, `cron-${kind}`)
    const slots: number[] = []
    const workers = [0, 1, 2].map(
      () => new Worker<string, void>(db, q.name, (job) => void slots.push(job.repeat!.slot)),
    )
    onTestFinished(() => Promise.all(workers.map((w) => w.close())).then(() => {}))
    const { key, next } = await q.repeat('report', 'x', {
      cron: '* * * * * *',
      tz: 'Europe/Paris',
      key: 'report',
    })
    expect(key).toBe('report')
    expect(next % 1000).toBe(0)
    expect(await q.repeatables()).toEqual([
      { key: 'report', name: 'report', every: null, cron: '* * * * * *', tz: 'Europe/Paris', next },
    ])
    await waitFor('three slots', () => slots.length >= 3, 10_000)
    await q.removeRepeat('report')
    const sorted = [...slots].sort((x, y) => x - y)
    expect(new Set(sorted).size).toBe(sorted.length)
    for (let i = 1; i < sorted.length; i++) expect(sorted[i]! - sorted[i - 1]!).toBe(1000)
  }, 30_000)

  it('another schedule under the same key replaces the first: its pending occurrence goes', async () => {
    const db = await client(kind)
    const q = new Queue<number>(db, `replace-${kind}`)
    await q.repeat('j', 1, { every: '1h', key: 'k' })
    await q.repeat('j', 2, { every: '2h', key: 'k' })
    const list = await q.repeatables()
    expect(list).toHaveLength(1)
    expect(list[0]).toMatchObject({ key: 'k', every: 7_200_000 })
    expect((await q.counts()).delayed).toBe(1)
    expect(await q.removeRepeat('k')).toBe(true)
    expect(await q.removeRepeat('k')).toBe(false)
    expect((await q.counts()).delayed).toBe(0)
  })
})

describe('survives restarts (standalone, AOF always)', () => {
  it('workers gone for several slots, the server killed and restarted: the chain goes on, once per slot', async () => {
    const db = await client('standalone')
    const q = new Queue<number>(db, 'rpt-restart')
    const slots: number[] = []
    const EVERY = 300
    const { key } = await q.repeat('tick', 1, { every: EVERY })
    let w = new Worker<number, void>(db, q.name, (job) => void slots.push(job.repeat!.slot), { pollMs: 200 })
    await waitFor('two slots', () => slots.length >= 2, 5000)
    await w.close()
    // No worker for a while, and the server crashes and comes back (AOF replays the schedule).
    await sleep(2 * EVERY)
    await server().kill()
    await server().restart()
    const before = slots.length
    w = new Worker<number, void>(db, q.name, (job) => void slots.push(job.repeat!.slot), { pollMs: 200 })
    onTestFinished(() => w.close())
    await waitFor('two more slots', () => slots.length >= before + 3, 10_000)
    await q.removeRepeat(key)
    const sorted = [...slots].sort((x, y) => x - y)
    expect(new Set(sorted).size).toBe(sorted.length)
    // The overdue occurrence ran once when a worker came back; the slots missed meanwhile were skipped.
    for (let i = 1; i < sorted.length; i++) expect((sorted[i]! - sorted[i - 1]!) % EVERY).toBe(0)
  }, 30_000)

  it('refuses bad schedules', async () => {
    const db = await client('standalone')
    const q = new Queue(db, 'rpt-bad')
    expect(await codeOf(() => q.repeat('j', 1, {} as never))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => q.repeat('j', 1, { every: '1m', cron: '* * * * *' } as never))).toBe(
      'INVALID_ARGUMENT',
    )
    expect(await codeOf(() => q.repeat('j', 1, { cron: '61 * * * *' }))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => q.repeat('j', 1, { cron: '* * * * *', tz: 'Nowhere/Land' }))).toBe(
      'INVALID_ARGUMENT',
    )
    expect(await codeOf(() => q.repeat('j', 1, { every: '1m', tz: 'UTC' } as never))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => q.repeat('j', 1, { every: '1m', evry: 1 } as never))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => q.repeat('j', 1, { every: '1m' }, { jobId: 'x' } as never))).toBe(
      'INVALID_ARGUMENT',
    )
    expect(await codeOf(() => q.repeat('j', 1, { every: '1m', key: 'has space' }))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => q.repeat('', 1, { every: '1m' }))).toBe('INVALID_ARGUMENT')
    expect(await q.repeatables()).toEqual([])
  })
})
