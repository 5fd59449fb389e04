import type { Server } from 'node:http'
import { RedisStore } from 'connect-redis'
import express from 'express'
import session from 'express-session'
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { keySlot } from '../../src/common/slot.js'
import { keyOf } from '../../src/kit/keyspace.js'
import { createSessionStore, type RedisSessionStore } from '../../src/structures/index.js'
import { startRedisForFile } from '../support/redis-fixture.js'
import { codeOf, commandsOf } from './helpers.js'
import { Browser, baseUrl } from './http.js'

/*
 * connect-redis's options with connect-redis's meaning, its key layout read and written, and the
 * migration from it — against sessions the real connect-redis 9 package writes and reads.
 */

const { server, db } = await startRedisForFile()
let node: ReturnType<typeof createClient>

beforeAll(async () => {
  node = createClient({ url: server.url })
  await node.connect()
})
afterAll(async () => {
  await node?.destroy()
})

const inSeconds = (s: number) => ({ originalMaxAge: s * 1000, expires: new Date(Date.now() + s * 1000) })
const noExpiry = { originalMaxAge: null }
const pttl = async (key: string) => Number(await db.call(['PTTL', key]))

describe('connect-redis options keep their meaning, or are refused', () => {
  it('ttl is seconds (a number), text with a unit, or a function of the session returning seconds', async () => {
    const seconds = createSessionStore(db, { namespace: 'o:ttl1', ttl: 60 })
    await seconds.set('a', { cookie: noExpiry })
    expect(await pttl(seconds.keysOf('a').data)).toBeGreaterThan(59_000)
    expect(await pttl(seconds.keysOf('a').data)).toBeLessThanOrEqual(60_000)
    const text = createSessionStore(db, { namespace: 'o:ttl2', ttl: '2m' })
    await text.set('a', { cookie: noExpiry })
    expect(await pttl(text.keysOf('a').data)).toBeGreaterThan(119_000)
    // A function overrides the cookie, as in connect-redis.
    const fn = createSessionStore(db, {
      namespace: 'o:ttl3',
      ttl: (s) => (s.remember === true ? 3600 : 5),
    })
    await fn.set('short', { cookie: inSeconds(1000) })
    await fn.set('long', { cookie: inSeconds(10), remember: true })
    expect(await pttl(fn.keysOf('short').data)).toBeLessThanOrEqual(5000)
    expect(await pttl(fn.keysOf('long').data)).toBeGreaterThan(3_500_000)
    // ≤ 0 seconds: destroyed, as connect-redis does.
    const gone = createSessionStore(db, { namespace: 'o:ttl4', ttl: () => 0 })
    expect(await gone.set('x', { cookie: noExpiry })).toBe(false)
    expect(await gone.get('x')).toBeNull()
    // The default: one day.
    const plain = createSessionStore(db, { namespace: 'o:ttl5' })
    await plain.set('a', { cookie: noExpiry })
    expect(await pttl(plain.keysOf('a').data)).toBeGreaterThan(86_399_000)
    const bad = createSessionStore(db, { namespace: 'o:ttl6', ttl: () => Number.NaN })
    expect(await codeOf(bad.set('a', { cookie: noExpiry }))).toBe('INVALID_ARGUMENT')
  })

  it('disableTouch: touch sends nothing; disableTTL: refused, saying what to use', async () => {
    const store = createSessionStore(db, { namespace: 'o:touch', disableTouch: true })
    await store.set('a', { cookie: inSeconds(60) })
    expect(await commandsOf(db, () => store.touch('a', { cookie: inSeconds(600) }))).toEqual({})
    expect(await pttl(store.keysOf('a').data)).toBeLessThanOrEqual(60_000)
    const refusal = (() => {
      try {
        createSessionStore(db, { disableTTL: true })
      } catch (error) {
        return error as { code: string; message: string }
      }
    })()
    expect(refusal?.code).toBe('INVALID_ARGUMENT')
    expect(refusal?.message).toMatch(/ttl: '30d'/)
    expect(() => createSessionStore(db, { namespace: 'o:ttl7', disableTTL: false })).not.toThrow()
  })

  it('serializer: its text is stored; parse may return a promise', async () => {
    const serializer = {
      stringify: (s: object) => Buffer.from(JSON.stringify(s)).toString('base64'),
      parse: async (text: string) => JSON.parse(Buffer.from(text, 'base64').toString()),
    }
    const store = createSessionStore(db, { namespace: 'o:ser', serializer })
    await store.set('a', { cookie: noExpiry, n: 1 })
    const raw = String(await db.call(['GET', store.keysOf('a').data]))
    expect(JSON.parse(Buffer.from(raw, 'base64').toString())).toMatchObject({ n: 1 })
    expect(await store.get('a')).toMatchObject({ n: 1 })
    expect(await store.all()).toEqual([expect.objectContaining({ id: 'a', n: 1 })])
    expect(await codeOf(() => createSessionStore(db, { serializer: { parse: JSON.parse } as never }))).toBe(
      'INVALID_ARGUMENT',
    )
    // JSON itself is the default.
    expect(() => createSessionStore(db, { namespace: 'o:ser2', serializer: JSON })).not.toThrow()
  })

  it('scanCount is the SCAN COUNT of listing', async () => {
    const few = createSessionStore(db, { namespace: 'o:scan', scanCount: 5 })
    const many = createSessionStore(db, { namespace: 'o:scan', scanCount: 1000 })
    for (let i = 0; i < 50; i++) await few.set(`s${i}`, { cookie: noExpiry })
    const small = (await commandsOf(db, () => few.length())).SCAN ?? 0
    const large = (await commandsOf(db, () => many.length())).SCAN ?? 0
    expect(await few.length()).toBe(50)
    expect(small).toBeGreaterThan(large)
    expect(await codeOf(() => createSessionStore(db, { scanCount: 0 }))).toBe('INVALID_ARGUMENT')
  })

  it('unknown options, connect-redis’s client option and contradictions are refused', async () => {
    const refused = async (options: object, pattern: RegExp) => {
      try {
        createSessionStore(db, options as never)
      } catch (error) {
        expect((error as { code: string }).code).toBe('INVALID_ARGUMENT')
        expect((error as Error).message).toMatch(pattern)
        return
      }
      throw new Error(`accepted ${JSON.stringify(options)}`)
    }
    await refused({ client: {} }, /first argument/)
    await refused({ ttlSeconds: 5 }, /unknown option 'ttlSeconds'/)
    await refused({ ttl: 0 }, /seconds/)
    await refused({ ttl: -5 }, /seconds/)
    await refused({ ttl: '5 minutes' }, /ttl/)
    await refused({ prefix: 'sess' }, /ending in ':'/)
    await refused({ prefix: '' }, /ending in ':'/)
    await refused({ prefix: 'a b:' }, /prefix/)
    await refused({ prefix: 'sess:', migrateFrom: 'connect-redis' }, /give one/)
    await refused({ prefix: 'sess:', namespace: 'sess:meta' }, /inside prefix/)
    await refused({ migrateFrom: 'connect-mongo' }, /connect-redis/)
    await refused({ migrateFrom: { store: 'connect-redis', prefx: 'x:' } }, /connect-redis/)
    await refused({ disableTouch: 'yes' }, /boolean/)
  })

  it('touch with an expiry already past removes the session (connect-redis: EXPIRE with a negative TTL)', async () => {
    const store = createSessionStore(db, { namespace: 'o:past' })
    await store.set('a', { cookie: inSeconds(60), n: 1 })
    expect(await store.touch('a', { cookie: { expires: new Date(Date.now() - 1000) } })).toBe(false)
    expect(await store.get('a')).toBeNull()
    expect(await db.call(['EXISTS', store.keysOf('a').data])).toBe(0)
  })

  it("the defaults connect-redis's own test reads from its public fields, checked through behaviour", async () => {
    const store = createSessionStore(db, { prefix: 'dflt:' })
    await store.set('a', { cookie: noExpiry, v: { nested: [1] } })
    // prefix 'dflt:' → key 'dflt:a'; ttl one day; serializer JSON.
    expect(await pttl('dflt:a')).toBeGreaterThan(86_399_000)
    expect(await db.call(['GET', 'dflt:a'])).toBe(JSON.stringify({ cookie: noExpiry, v: { nested: [1] } }))
    // disableTouch false: touch moves the TTL. disableTTL false: every key has one.
    await store.touch('a', { cookie: inSeconds(30) })
    expect(await pttl('dflt:a')).toBeLessThanOrEqual(30_000)
  })
})

describe("prefix: connect-redis's layout, read and written", () => {
  let store: RedisSessionStore
  let theirs: RedisStore

  beforeAll(() => {
    store = createSessionStore(db, { prefix: 'lay:' })
    theirs = new RedisStore({ client: node, prefix: 'lay:' })
  })

  it('each reads what the other wrote, and sees the same sessions', async () => {
    await theirs.set('fromThem', { cookie: inSeconds(60) as never, by: 'connect-redis' } as never)
    await store.set('fromUs', { cookie: inSeconds(60), by: 'redis-expert', userId: 'u1' })
    expect(await store.get('fromThem')).toMatchObject({ by: 'connect-redis' })
    expect(await theirs.get('fromUs')).toMatchObject({ by: 'redis-expert' })
    expect((await store.ids()).sort()).toEqual(['fromThem', 'fromUs'])
    expect((await theirs.ids()).sort()).toEqual(['fromThem', 'fromUs'])
    // The tombstone and the user index live outside the prefix: connect-redis lists only sessions.
    await store.destroy('fromThem')
    expect(await theirs.length()).toBe(1)
    expect(await theirs.all()).toEqual([expect.objectContaining({ id: 'fromUs' })])
    expect(await db.call(['EXISTS', 'lay-meta:gone:{lay:fromThem}'])).toBe(1)
    expect(await store.userSessions('u1')).toEqual(['fromUs'])
    // A late save of the destroyed session is refused here too.
    expect(await codeOf(store.set('fromThem', { cookie: inSeconds(60) }))).toBe('SESSION_DESTROYED')
  })

  it('hand-built keys are the declared ones; ids a connect-redis key cannot hold plainly are refused', async () => {
    const keys = store.keysOf('abc-DEF_1.2~3')
    expect(keys.data).toBe(keyOf(store.keyspaces[0]!, 'data', { sid: 'abc-DEF_1.2~3' }))
    expect(keys.gone).toBe(keyOf(store.keyspaces[1]!, 'gone', { sid: 'abc-DEF_1.2~3' }))
    // The tombstone's hash tag is the whole session key: one slot, one script on a Cluster.
    expect(keySlot(keys.gone)).toBe(keySlot(keys.data))
    for (const sid of ['a:b', '{x}', 'a*', 'a b', 'ü', ''])
      expect(await codeOf(store.get(sid))).toBe('INVALID_ARGUMENT')
  })
})

describe("migrateFrom: 'connect-redis' — the tagged layout, reading connect-redis's sessions", () => {
  it('reads, touches, moves on save, destroys and lists sessions connect-redis wrote', async () => {
    const theirs = new RedisStore({ client: node, prefix: 'mig:' })
    await theirs.set('m1', { cookie: inSeconds(600), n: 1, userId: 'ann' } as never)
    await theirs.set('m2', { cookie: inSeconds(600), n: 2 } as never)
    await theirs.set('m3', { cookie: inSeconds(600), n: 3 } as never)
    const store = createSessionStore(db, {
      namespace: 'mig2',
      migrateFrom: { store: 'connect-redis', prefix: 'mig:' },
    })
    expect(await store.get('m1')).toMatchObject({ n: 1 })
    expect(await store.length()).toBe(3)
    expect((await store.ids()).sort()).toEqual(['m1', 'm2', 'm3'])
    // touch extends connect-redis's key while the session has not been saved since the switch.
    expect(await store.touch('m2', { cookie: inSeconds(3600) })).toBe(true)
    expect(await pttl('mig:m2')).toBeGreaterThan(3_500_000)
    // A save moves it: the tagged copy is written (and indexed), connect-redis's key goes.
    expect(await store.set('m1', { cookie: inSeconds(600), n: 10, userId: 'ann' })).toBe(true)
    expect(await db.call(['EXISTS', 'mig:m1'])).toBe(0)
    expect(await store.get('m1')).toMatchObject({ n: 10 })
    expect(await store.userSessions('ann')).toEqual(['m1'])
    // A destroy removes both, and the late save is refused.
    await store.destroy('m3')
    expect(await db.call(['EXISTS', 'mig:m3'])).toBe(0)
    expect(await store.get('m3')).toBeNull()
    expect(await codeOf(store.set('m3', { cookie: inSeconds(600) }))).toBe('SESSION_DESTROYED')
    expect((await store.all()).map((s) => s.id).sort()).toEqual(['m1', 'm2'])
  })

  it('migrate() moves the rest with their TTL; afterwards migrateFrom can go', async () => {
    const theirs = new RedisStore({ client: node, prefix: 'mv:' })
    for (let i = 0; i < 30; i++)
      await theirs.set(`s${i}`, { cookie: inSeconds(300 + i), i, userId: i < 3 ? 'bob' : undefined } as never)
    const store = createSessionStore(db, {
      namespace: 'mv2',
      migrateFrom: { store: 'connect-redis', prefix: 'mv:' },
    })
    await store.set('s0', { cookie: inSeconds(900), i: 0, saved: true }) // already moved by a save
    await store.destroy('s1') // destroyed: must not come back
    expect(await store.migrate()).toEqual({ moved: 28, skipped: 0 })
    expect(await theirs.length()).toBe(0)
    const after = createSessionStore(db, { namespace: 'mv2' })
    expect(await after.length()).toBe(29)
    expect(await after.get('s0')).toMatchObject({ saved: true })
    expect(await after.get('s1')).toBeNull()
    expect(await after.get('s29')).toMatchObject({ i: 29 })
    const ttl = await pttl(after.keysOf('s29').data)
    expect(ttl).toBeGreaterThan(320_000)
    expect(ttl).toBeLessThanOrEqual(329_000)
    expect(await after.userSessions('bob')).toEqual(['s2']) // s0 was saved without a user; s1 destroyed
    expect(await store.migrate()).toEqual({ moved: 0, skipped: 0 })
    expect(await codeOf(after.migrate())).toBe('INVALID_ARGUMENT')
  })

  it('ids connect-redis could not have written plainly are never looked up in its layout', async () => {
    const store = createSessionStore(db, { namespace: 'mig3', migrateFrom: 'connect-redis' })
    await store.set('x', { cookie: inSeconds(60) })
    // 'sess:' + '{x}:gone' would be this store's own tombstone key: no legacy read for such ids.
    expect(store.keysOf('{x}:gone').legacy).toBeNull()
    expect(store.keysOf('plain-id').legacy).toBe('sess:plain-id')
    expect(await store.get('{x}:gone')).toBeNull()
  })
})

describe('switching an express app from connect-redis logs nobody out', () => {
  const apps: Server[] = []
  afterAll(() => Promise.all(apps.map((s) => new Promise((r) => s.close(r)))))

  async function app(store: session.Store): Promise<string> {
    const a = express()
    a.use(session({ store, secret: 'same secret', resave: false, saveUninitialized: false }))
    a.post('/login', (req, res) => {
      ;(req.session as unknown as Record<string, unknown>).user = 'zoe'
      res.json({ ok: true })
    })
    a.get('/me', (req, res) => {
      const s = req.session as unknown as Record<string, number | string | undefined>
      if (s.user === undefined) return void res.status(401).end()
      s.views = Number(s.views ?? 0) + 1
      res.json({ user: s.user, views: s.views })
    })
    const http = a.listen(0, '127.0.0.1')
    apps.push(http)
    await new Promise((r) => http.once('listening', r))
    return baseUrl(http)
  }

  it('with migrateFrom and with prefix, the same browser stays logged in', async () => {
    const before = await app(new RedisStore({ client: node, prefix: 'web:' }))
    const browser = new Browser(before)
    await browser.post('/login')
    expect((await browser.get('/me')).body).toEqual({ user: 'zoe', views: 1 })
    // The deploy: same secret, the toolkit's store.
    const migrating = createSessionStore(db, {
      namespace: 'web2',
      migrateFrom: { store: 'connect-redis', prefix: 'web:' },
    })
    const after = browser.moveTo(await app(migrating.forExpress(session)))
    expect((await after.get('/me')).body).toEqual({ user: 'zoe', views: 2 })
    expect((await after.get('/me')).body).toEqual({ user: 'zoe', views: 3 })
    expect(await db.call(['EXISTS', `web:${(await migrating.ids())[0]}`])).toBe(0)
    // Or keep connect-redis's keys (a rolling deploy, a way back).
    const second = new Browser(before)
    await second.post('/login')
    await second.get('/me')
    const keeping = second.moveTo(await app(createSessionStore(db, { prefix: 'web:' }).forExpress(session)))
    expect((await keeping.get('/me')).body).toEqual({ user: 'zoe', views: 2 })
    // ...and connect-redis reads what it saved.
    expect((await second.get('/me')).body).toEqual({ user: 'zoe', views: 3 })
  })
})
