import { describe, expect, it } from 'vitest'
import { audit } from '../../src/audit/index.js'
import { createCache } from '../../src/cache/index.js'
import { defineKeyspace, t } from '../../src/index.js'
import { decideEntry } from '../../src/keyspace/index.js'
import { startRedisForFile } from '../support/redis-fixture.js'

/*
 * Issue 16: `audit --schema` flagged every key of a cache created with `grace` as "TTL above the
 * declared band", and its fix ("backfill with EXPIRE 10m") would switch off grace and
 * stale-if-error. A cache entry declares its grace (`grace: '1h'`): the key's lifetime is
 * ttl·(1 + jitter) + grace, which the audit, the decision log and createCache all read from the
 * declaration. A cache whose grace is not declared is still flagged, but told to declare it,
 * never to EXPIRE the keys down.
 */

const ks = defineKeyspace('gr', {
  declared: { pattern: 'declared:<id>', type: t.json(), role: 'cache', ttl: '1m', grace: '1h' },
  undeclared: { pattern: 'undeclared:<id>', type: t.json(), role: 'cache', ttl: '1m' },
})

const { db } = await startRedisForFile({ keyspaces: [ks] })

describe('grace, declared once', () => {
  it('createCache takes its grace from the declaration; the audit finds nothing to say', async () => {
    const cache = await createCache(db, ks.declared)
    expect(cache.options.graceMs).toBe(3_600_000)
    for (let i = 0; i < 10; i++) await cache.getOrSet({ id: String(i) }, () => ({ i }))
    const report = await audit(db, { keyspaces: [ks] })
    expect(report.findings.filter((f) => f.rule === 'schema-ttl')).toEqual([])
    expect(decideEntry(ks.declared.policy).persistence).toContain('1h')
    await cache.close()
  })

  it('an undeclared grace: createCache warns, the audit flags it and says to declare it — not to EXPIRE', async () => {
    const warnings: string[] = []
    const cache = await createCache(db, ks.undeclared, { grace: '1h' })
    cache.on('warning', (w) => warnings.push(w))
    expect(cache.stats().warnings.join('\n')).toContain("grace: '1h'")
    for (let i = 0; i < 10; i++) await cache.getOrSet({ id: String(i) }, () => ({ i }))
    const report = await audit(db, { keyspaces: [ks] })
    const finding = report.findings.find((f) => f.rule === 'schema-ttl')
    expect(finding?.message).toContain('undeclared')
    expect(finding?.fix).toContain('grace')
    expect(finding?.fix).not.toMatch(/EXPIRE/)
    await cache.close()
  })

  it('grace is for caches: another role, or a persistent entry, is refused', () => {
    expect(() =>
      defineKeyspace('x', { a: { pattern: 'a', type: t.hash(), role: 'state', ttl: '1m', grace: '1h' } }),
    ).toThrow(/grace/)
    expect(() =>
      defineKeyspace('x', {
        a: { pattern: 'a', type: t.json(), role: 'cache', ttl: '1m', grace: 'soon' as never },
      }),
    ).toThrow(/grace/)
  })
})
