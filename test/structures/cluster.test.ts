import { describe, expect, it } from 'vitest'
import {
  createActivity,
  createCompactMap,
  createLeaderboard,
  createLock,
  createRateLimiter,
  createSemaphore,
  createSessionStore,
  createUniqueCounter,
} from '../../src/structures/index.js'
import { startClusterForFile } from '../support/redis-fixture.js'

/* Every structure on a real 3-master Cluster: keys used together share a hash tag. */

const { db } = await startClusterForFile({ masters: 3, replicasPerMaster: 0 })

const MON = Date.UTC(2030, 4, 13, 9)

describe('structures on a 3-master Cluster', () => {
  it('rate limiters: exact under concurrency, ids spread over the masters', async () => {
    const limiter = createRateLimiter(db, {
      algorithm: 'sliding-log',
      limit: 100,
      windowMs: 60_000,
      name: 'c:rl',
    })
    const decisions = await Promise.all(Array.from({ length: 500 }, () => limiter.consume('one')))
    expect(decisions.filter((d) => d.allowed)).toHaveLength(100)
    const ids = Array.from({ length: 30 }, (_, i) => `id-${i}`)
    await Promise.all(ids.map((id) => limiter.consume(id)))
    const slots = new Set(
      await Promise.all(
        ids.map((id) =>
          db.call([
            'CLUSTER',
            'KEYSLOT',
            (limiter.keyspace.entries[0]!.key as (p: object) => string)({ id }),
          ]),
        ),
      ),
    )
    expect(slots.size).toBeGreaterThan(10)
  })

  it('sessions: the session and its user index live in different slots, one round trip each way', async () => {
    const store = createSessionStore(db, { namespace: 'c:sess' })
    const cookie = { expires: new Date(Date.now() + 60_000).toISOString() }
    for (let i = 0; i < 10; i++) expect(await store.set(`s${i}`, { cookie, userId: 'u1', i })).toBe(true)
    expect(await store.get('s3')).toMatchObject({ i: 3 })
    expect((await store.userSessions('u1')).length).toBe(10)
    expect(await store.length()).toBe(10)
    expect(await store.destroyUserSessions('u1')).toBe(10)
    await expect(store.set('s3', { cookie, userId: 'u1' })).rejects.toMatchObject({
      code: 'SESSION_DESTROYED',
    })
    expect(await store.length()).toBe(0)
  })

  it("sessions in connect-redis's layout and migrating from it; page() across the masters", async () => {
    const cookie = { expires: new Date(Date.now() + 60_000).toISOString() }
    // prefix: `c-cr:<sid>` and its tombstone `c-cr-meta:gone:{c-cr:<sid>}` share a slot; one script.
    const legacy = createSessionStore(db, { prefix: 'c-cr:' })
    for (let i = 0; i < 30; i++) await legacy.set(`s${i}`, { cookie, i, userId: 'u' })
    expect(await legacy.length()).toBe(30)
    await legacy.destroy('s0')
    await expect(legacy.set('s0', { cookie })).rejects.toMatchObject({ code: 'SESSION_DESTROYED' })
    expect((await legacy.userSessions('u')).length).toBe(29)
    // Migrating from those keys into the tagged layout.
    const store = createSessionStore(db, {
      namespace: 'c:mig',
      migrateFrom: { store: 'connect-redis', prefix: 'c-cr:' },
    })
    expect(await store.get('s5')).toMatchObject({ i: 5 })
    expect(await store.set('s5', { cookie, i: 50 })).toBe(true)
    expect(await store.migrate()).toEqual({ moved: 28, skipped: 0 })
    expect(await legacy.length()).toBe(0)
    // A page at a time over every master.
    const seen = new Set<string>()
    let cursor: string | undefined
    do {
      const page: Awaited<ReturnType<typeof store.page>> = await store.page({ limit: 7, cursor })
      for (const { sid } of page.sessions) seen.add(sid)
      cursor = page.next
    } while (cursor)
    expect(seen.size).toBe(29)
  })

  it('locks and semaphores', async () => {
    const locks = createLock(db, { namespace: 'c:lock' })
    let inside = 0
    let highest = 0
    const fences = await Promise.all(
      Array.from({ length: 10 }, () =>
        locks.withLock(
          'job',
          async (lease) => {
            highest = Math.max(highest, ++inside)
            await new Promise((r) => setTimeout(r, 2))
            inside--
            return lease.fence
          },
          { waitMs: 10_000 },
        ),
      ),
    )
    expect(highest).toBe(1)
    expect(new Set(fences).size).toBe(10)
    const sem = createSemaphore(db, { limit: 2, namespace: 'c:sem' })
    const permits = await Promise.all([sem.acquire('p'), sem.acquire('p'), sem.acquire('p')])
    expect(permits.filter(Boolean)).toHaveLength(2)
  })

  it('leaderboards with periodic boards (one MULTI over keys tagged {board})', async () => {
    const board = createLeaderboard(db, { name: 'c-game', periods: ['day', 'week'], clock: () => MON })
    for (let i = 0; i < 30; i++) await board.submit(`p${i}`, i)
    expect((await board.top(3)).map((e) => e.member)).toEqual(['p29', 'p28', 'p27'])
    expect((await board.top(1, { period: 'week' }))[0]?.member).toBe('p29')
    expect((await board.around('p10', 1)).map((e) => e.rank)).toEqual([19, 20, 21])
    const page = await board.page({ limit: 25 })
    expect((await board.page({ limit: 25, cursor: page.next! })).entries).toHaveLength(5)
  })

  it('unique counters: PFCOUNT and PFMERGE over a week of days in one slot', async () => {
    const counter = createUniqueCounter(db, { name: 'c-uniq', clock: () => MON })
    await counter.add(['a', 'b', 'c'], { at: MON })
    await counter.add(['c', 'd'], { at: MON + 86_400_000 })
    expect(await counter.count({ period: 'week' })).toBe(4)
    await counter.rollUp('week')
    expect(await counter.count({ period: 'week' })).toBe(4)
  })

  it('activity: BITOP cohorts over days in one slot', async () => {
    const activity = createActivity(db, { name: 'c-act', clock: () => MON })
    for (const user of ['a', 'b', 'c']) await activity.mark(user, { at: MON })
    for (const user of ['b', 'c', 'd']) await activity.mark(user, { at: MON + 86_400_000 })
    expect(await activity.activeOnAll([MON, MON + 86_400_000])).toBe(2)
    expect(await activity.activeOnAny([MON, MON + 86_400_000])).toBe(4)
  })

  it('compact maps: buckets spread over the masters, getMany fans out per slot', async () => {
    const map = createCompactMap(db, { name: 'c-map', keys: 'integer', perBucket: 10 })
    await map.setMany(Array.from({ length: 2000 }, (_, i) => [i, `v${i}`] as const))
    const ids = [0, 15, 999, 1500, 1999, 3000]
    expect(await map.getMany(ids)).toEqual(['v0', 'v15', 'v999', 'v1500', 'v1999', null])
    const perMaster = await Promise.all((await db.masters()).map((m) => m.call(['DBSIZE'])))
    expect(perMaster.every((n) => Number(n) > 0)).toBe(true)
  })
})
