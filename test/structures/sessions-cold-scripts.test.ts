import { describe, expect, it } from 'vitest'
import { createSessionStore } from '../../src/structures/index.js'
import { startRedisForFile } from '../support/redis-fixture.js'
import { commandsOf } from './helpers.js'

/*
 * The session store's saves, touches and destroys send a script together with other commands in
 * one round trip. On a server whose script cache is empty (a restart, a failover, SCRIPT FLUSH)
 * the script fails with NOSCRIPT: the toolkit's one fallback sends the round trip again with the
 * script's source, and the operation completes.
 */

const { db } = await startRedisForFile()

const cookie = (ms: number) => ({ originalMaxAge: ms, expires: new Date(Date.now() + ms).toISOString() })
const flushScripts = () =>
  db.unsafe({ reason: 'test: empty the script cache' }, (raw) => raw.call(['SCRIPT', 'FLUSH']))

describe('session operations on a cold script cache', () => {
  it('save, touch and destroy of a user session complete after SCRIPT FLUSH, by EVAL', async () => {
    const store = createSessionStore(db, { namespace: 'cold' })
    await flushScripts()
    const saved = await commandsOf(db, () => store.set('c1', { cookie: cookie(60_000), userId: 'carol' }))
    expect(saved.EVAL).toBeGreaterThan(0)
    expect(await store.get('c1')).toMatchObject({ userId: 'carol' })
    expect(await store.userSessions('carol')).toEqual(['c1'])

    await flushScripts()
    expect(await store.touch('c1', { cookie: cookie(120_000), userId: 'carol' })).toBe(true)
    expect(Number(await db.call(['PTTL', store.keysOf('c1').data]))).toBeGreaterThan(119_000)

    await flushScripts()
    await store.destroy('c1')
    expect(await store.get('c1')).toBeNull()
  })
})
