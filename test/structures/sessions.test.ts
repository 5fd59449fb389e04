import { describe, expect, it } from 'vitest'
import { keyOf } from '../../src/kit/keyspace.js'
import { createSessionStore } from '../../src/structures/index.js'
import { startRedisForFile } from '../support/redis-fixture.js'
import { codeOf, commandsOf, sleep } from './helpers.js'

const { db } = await startRedisForFile()

const cookie = (ms: number) => ({ originalMaxAge: ms, expires: new Date(Date.now() + ms).toISOString() })

describe('session store, used directly', () => {
  it('saves, reads, touches and destroys; TTL follows the cookie', async () => {
    const store = createSessionStore(db, { namespace: 'direct' })
    expect(await store.get('s1')).toBeNull()
    expect(await store.set('s1', { cookie: cookie(60_000), cart: [1, 2] })).toBe(true)
    expect(await store.get('s1')).toMatchObject({ cart: [1, 2] })
    const key = store.keysOf('s1').data
    const ttl = Number(await db.call(['PTTL', key]))
    expect(ttl).toBeGreaterThan(59_000)
    expect(ttl).toBeLessThanOrEqual(60_000)
    expect(await store.touch('s1', { cookie: cookie(120_000) })).toBe(true)
    expect(Number(await db.call(['PTTL', key]))).toBeGreaterThan(119_000)
    await store.destroy('s1')
    expect(await store.get('s1')).toBeNull()
    // A cookie already expired destroys instead of saving.
    expect(await store.set('s2', { cookie: { expires: new Date(Date.now() - 1000) } })).toBe(false)
    expect(await store.get('s2')).toBeNull()
  })

  it('a save after a destroy is refused (tombstone); touch never rewrites data', async () => {
    const store = createSessionStore(db, { namespace: 'race' })
    await store.set('r1', { cookie: cookie(60_000), v: 1 })
    const loaded = await store.get('r1') // a slow request loads it...
    await store.destroy('r1') // ...another logs out...
    expect(await codeOf(store.set('r1', { ...loaded, v: 2 }))).toBe('SESSION_DESTROYED') // ...the slow one saves: refused
    expect(await store.get('r1')).toBeNull()
    expect(await store.touch('r1', { cookie: cookie(60_000) })).toBe(false)
    expect(await db.call(['EXISTS', store.keysOf('r1').data])).toBe(0)
    // Touch with stale data in hand does not overwrite a concurrent save.
    await store.set('r2', { cookie: cookie(60_000), v: 1 })
    const stale = await store.get('r2')
    await store.set('r2', { cookie: cookie(60_000), v: 2 })
    await store.touch('r2', stale!)
    expect(await store.get('r2')).toMatchObject({ v: 2 })
    // The tombstone outlives the session's own remaining TTL, and at least `tombstone`.
    const gone = Number(await db.call(['PTTL', store.keysOf('r1').gone]))
    expect(gone).toBeGreaterThan(59_000)
  })

  it('per-user index: userSessions and destroyUserSessions (log out everywhere)', async () => {
    const store = createSessionStore(db, { namespace: 'users', maxSessionsPerUser: 3 })
    for (const sid of ['a1', 'a2', 'a3']) await store.set(sid, { cookie: cookie(60_000), userId: 'alice' })
    await store.set('b1', { cookie: cookie(60_000), userId: 'bob' })
    await store.set('anon', { cookie: cookie(60_000) })
    expect((await store.userSessions('alice')).sort()).toEqual(['a1', 'a2', 'a3'])
    // Past the bound, the session closest to expiry leaves the index.
    await store.set('a4', { cookie: cookie(120_000), userId: 'alice' })
    expect(await store.userSessions('alice')).toHaveLength(3)
    expect(await store.userSessions('alice')).toContain('a4')
    await store.destroy('a4')
    expect(await store.userSessions('alice')).not.toContain('a4')
    expect(await store.destroyUserSessions('alice')).toBe(2)
    expect(await store.get('a2')).toBeNull()
    expect(await store.get('b1')).not.toBeNull()
    expect(await store.get('anon')).not.toBeNull()
    // Their late saves are refused too.
    expect(await codeOf(store.set('a2', { cookie: cookie(60_000), userId: 'alice' }))).toBe(
      'SESSION_DESTROYED',
    )
    expect(await store.userSessions('alice')).toEqual([])
  })

  it('all, ids, length and clear go through SCAN and are bounded', async () => {
    const store = createSessionStore(db, { namespace: 'listing', maxListed: 5 })
    for (let i = 0; i < 5; i++) await store.set(`l${i}`, { cookie: cookie(60_000), i })
    expect(await store.length()).toBe(5)
    expect((await store.ids()).sort()).toEqual(['l0', 'l1', 'l2', 'l3', 'l4'])
    const all = await store.all()
    expect(all.map((s) => s.id).sort()).toEqual(['l0', 'l1', 'l2', 'l3', 'l4'])
    await store.set('l5', { cookie: cookie(60_000) })
    expect(await codeOf(store.all())).toBe('GUARD_UNBOUNDED')
    let scanned = 0
    for await (const { sid } of store.scan()) if (sid.startsWith('l')) scanned++
    expect(scanned).toBe(6)
    const commands = await commandsOf(db, () => store.length())
    expect(commands.KEYS).toBeUndefined()
    expect(commands.SCAN).toBeGreaterThan(0)
    await store.clear()
    expect(await store.length()).toBe(0)
    expect(await codeOf(store.set('l1', { cookie: cookie(60_000) }))).toBe('SESSION_DESTROYED')
  })

  it('page(): a cursor through more sessions than maxListed, stateless, validated', async () => {
    const store = createSessionStore(db, { namespace: 'paging', maxListed: 20, scanCount: 10 })
    for (let i = 0; i < 55; i++) await store.set(`p${i}`, { cookie: cookie(60_000), i })
    expect(await codeOf(store.ids())).toBe('GUARD_UNBOUNDED')
    const seen = new Set<string>()
    let cursor: string | undefined
    let pages = 0
    do {
      const page: Awaited<ReturnType<typeof store.page>> = await store.page({ limit: 20, cursor })
      expect(page.sessions.length).toBeLessThanOrEqual(20 + 20) // limit + at most one SCAN call's worth
      for (const { sid, session } of page.sessions) {
        expect(session).toMatchObject({ i: Number(sid.slice(1)) })
        seen.add(sid)
      }
      cursor = page.next
      pages++
    } while (cursor !== undefined)
    expect(seen.size).toBe(55)
    expect(pages).toBeGreaterThan(1)
    expect(await codeOf(store.page({ cursor: 'garbage!' }))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(store.page({ cursor: Buffer.from('[9,"x","0"]').toString('base64url') }))).toBe(
      'INVALID_ARGUMENT',
    )
    expect(await codeOf(store.page({ limit: 21 }))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(store.page({ limit: 5, size: 1 } as never))).toBe('INVALID_ARGUMENT')
    const commands = await commandsOf(db, () => store.page({ limit: 5 }))
    expect(commands.KEYS).toBeUndefined()
  })

  it('callback style, as express-session and @fastify/session call it', async () => {
    const store = createSessionStore(db, { namespace: 'callbacks' })
    await new Promise<void>((resolve, reject) =>
      store.set('c1', { cookie: cookie(60_000), n: 1 }, (error) => (error ? reject(error) : resolve())),
    )
    const session = await new Promise((resolve, reject) =>
      store.get('c1', (error, value) => (error ? reject(error) : resolve(value))),
    )
    expect(session).toMatchObject({ n: 1 })
    const error = await new Promise((resolve) => store.get('', (e) => resolve(e)))
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT' })
  })

  it('round trips: get is one GET; an update one SET XX; a new session SET XX then the script', async () => {
    const store = createSessionStore(db, { namespace: 'rt' })
    await store.set('w', { cookie: cookie(60_000), userId: 'u' })
    await store.destroy('w')
    expect(await commandsOf(db, () => store.get('x'))).toEqual({ GET: 1 })
    expect(await commandsOf(db, () => store.set('x', { cookie: cookie(60_000) }))).toEqual({
      EVALSHA: 1,
      EXISTS: 1,
      SET: 2,
    })
    expect(await commandsOf(db, () => store.set('x', { cookie: cookie(60_000), n: 2 }))).toEqual({ SET: 1 })
    expect(await store.get('x')).toMatchObject({ n: 2 })
    expect(await commandsOf(db, () => store.touch('x', { cookie: cookie(60_000) }))).toEqual({ PEXPIRE: 1 })
    expect(await commandsOf(db, () => store.destroy('x'))).toEqual({ EVALSHA: 1, PTTL: 1, DEL: 1, SET: 1 })
    const withUser = await commandsOf(db, () => store.set('y', { cookie: cookie(60_000), userId: 'u' }))
    expect(withUser.EVALSHA).toBe(2)
  })

  it('expires with the cookie', async () => {
    const store = createSessionStore(db, { namespace: 'expiry' })
    await store.set('e1', { cookie: cookie(100) })
    expect(await store.get('e1')).not.toBeNull()
    await sleep(150)
    expect(await store.get('e1')).toBeNull()
  })

  it('bad input: typed errors', async () => {
    const store = createSessionStore(db, { namespace: 'bad' })
    expect(await codeOf(store.get(''))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(store.set('x', null as never))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(store.set('x', { cookie: cookie(1000), userId: {} as never }))).toBeUndefined()
    expect(await codeOf(store.destroyUserSessions(''))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => createSessionStore(db, { ttl: 0 }))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => createSessionStore(db, { userId: 'userId' as never }))).toBe('INVALID_ARGUMENT')
    // Hostile ids are escaped: the hand-built hot-path keys are the keyspace's keys.
    for (const sid of ['a:{b}', 'x y*', '}{', 'ünï']) {
      await store.set(sid, { cookie: cookie(10_000), sid })
      expect(await db.call(['GET', keyOf(store.keyspace, 'data', { sid })])).toContain('cookie')
      await store.destroy(sid)
      expect(await db.call(['EXISTS', keyOf(store.keyspace, 'gone', { sid })])).toBe(1)
    }
    await db.call(['SET', store.keysOf('corrupt').data, 'not json', 'PX', 10_000])
    expect(await codeOf(store.get('corrupt'))).toBe('DECODE_FAILED')
  })
})
