import { describe, expect, it } from 'vitest'
import { audit } from '../../src/audit/index.js'
import { createActivity, createSessionStore, createUniqueCounter } from '../../src/structures/index.js'
import { startRedisForFile } from '../support/redis-fixture.js'

/*
 * Issue 16 (npm start's own audit): the structures' declared TTLs must be the TTLs their scripts
 * set, or `audit --schema` blames the toolkit's own keys. Activity days and unique-counter periods
 * expire `retention` after the END of their period (PEXPIREAT), so they live up to a period longer;
 * a session's tombstone lives as long as the session had left (at least the tombstone time).
 */

const { db } = await startRedisForFile()

describe("the structures' declarations match what they write", () => {
  it('audit against db.keyspaces() finds no TTL drift in activity, unique counters and sessions', async () => {
    await createActivity(db, { name: 'a' }).mark('ann')
    const unique = createUniqueCounter(db, { name: 'u' })
    await unique.add('x')
    await unique.rollUp('week')
    await unique.rollUp('month')
    const sessions = createSessionStore(db, { namespace: 's' })
    const cookie = { expires: new Date(Date.now() + 3_600_000).toISOString() }
    await sessions.set('phone', { cookie, userId: 'ann' })
    await sessions.destroy('phone')
    const report = await audit(db, { keyspaces: db.keyspaces() })
    expect(report.findings.filter((f) => f.rule.startsWith('schema-')).map((f) => f.message)).toEqual([])
  })
})
