import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connect, defineKeyspace, type RedisExpertClient, t } from '../../src/index.js'
import { type RedisServer, startRedis } from '../../src/testing/index.js'

const ledger = defineKeyspace('ledger', {
  balance: {
    pattern: 'balance:<account>',
    type: t.counter(),
    role: 'state',
    durability: 'source-of-truth',
    ttl: 'persistent',
  },
  recent: { pattern: 'recent:<account>', type: t.string(), role: 'cache', ttl: '1m' },
})

let server: RedisServer
let db: RedisExpertClient
let admin: RedisExpertClient

beforeAll(async () => {
  server = await startRedis({ config: { appendonly: 'no' } })
  db = await connect({ url: server.url, keyspaces: [ledger] })
  admin = await connect({ url: server.url, guard: 'off' })
})
afterAll(async () => {
  await Promise.all([db?.close(), admin?.close()])
  await server?.stop()
})

const write = () => db.call(['INCRBY', ledger.balance.key({ account: 'a1' }), 10])

describe('GUARD_DURABILITY', () => {
  it('refuses a source-of-truth write while AOF is off', async () => {
    expect(db.stats().durabilityOk).toBe(false)
    await expect(write()).rejects.toMatchObject({ code: 'GUARD_DURABILITY' })
    expect(await admin.call(['EXISTS', ledger.balance.key({ account: 'a1' })])).toBe(0)
    // Other entries are unaffected.
    expect(await db.call(['SET', ledger.recent.key({ account: 'a1' }), 'x', 'PX', 60_000])).toBe('OK')
    // Reads of a source-of-truth key are fine.
    expect(await db.call(['GET', ledger.balance.key({ account: 'a1' })])).toBeNull()
  })

  it('accepts it with AOF on and appendfsync everysec, once the client rechecks', async () => {
    await admin.call(['CONFIG', 'SET', 'appendonly', 'yes'])
    await admin.call(['CONFIG', 'SET', 'appendfsync', 'everysec'])
    expect(await db.checkDurability()).toBe(true)
    expect(await write()).toBe(10)
  })

  it('refuses again after CONFIG SET appendonly no, once the client rechecks', async () => {
    await admin.call(['CONFIG', 'SET', 'appendonly', 'no'])
    expect(await db.checkDurability()).toBe(false)
    await expect(write()).rejects.toMatchObject({ code: 'GUARD_DURABILITY' })
  })

  it('refuses under appendfsync no, and under an allkeys-* eviction policy', async () => {
    await admin.call(['CONFIG', 'SET', 'appendonly', 'yes'])
    await admin.call(['CONFIG', 'SET', 'appendfsync', 'no'])
    expect(await db.checkDurability()).toBe(false)
    await admin.call(['CONFIG', 'SET', 'appendfsync', 'always'])
    await admin.call(['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru'])
    expect(await db.checkDurability()).toBe(false)
    await expect(write()).rejects.toMatchObject({ code: 'GUARD_DURABILITY' })
    await admin.call(['CONFIG', 'SET', 'maxmemory-policy', 'volatile-lru'])
    expect(await db.checkDurability()).toBe(true)
    expect(await write()).toBe(20)
  })

  it('rechecks on its own after a reconnect', async () => {
    await admin.call(['CONFIG', 'SET', 'appendonly', 'no'])
    await db.call(['CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'no']).catch(() => {})
    const deadline = Date.now() + 5000
    while (db.stats().durabilityOk && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    expect(db.stats().durabilityOk).toBe(false)
  })
})
