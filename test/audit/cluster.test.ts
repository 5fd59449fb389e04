import { beforeAll, describe, expect, it } from 'vitest'
import { type AuditReport, audit } from '../../src/audit/index.js'
import { startClusterForFile } from '../support/redis-fixture.js'
import { concurrently, findingKeys, SEED, SEEDED_KEYS, seedCommands } from './seed.js'

// The launcher's defaults: no AOF, no maxmemory, no password. The findings they earn are
// expected below, beside those of the seed.
const { db } = await startClusterForFile({ masters: 3, replicasPerMaster: 0 }, { guard: 'off' })
let report: AuditReport

beforeAll(async () => {
  await concurrently(db, seedCommands())
  // ACL users are per node: the application user exists on every master.
  for (const node of await db.masters())
    await node.call(['ACL', 'SETUSER', 'app', 'on', '>app-secret', '~*', '&*', '+@all'])
  report = await audit(db)
}, 90_000)

describe('audit of a seeded 3-master Cluster', () => {
  it('scans every master, counting each key once', () => {
    expect(report.server.mode).toBe('cluster')
    expect(report.server.masters).toHaveLength(3)
    for (const master of report.server.masters) expect(master.keys).toBeGreaterThan(10_000)
    expect(report.server.masters.reduce((sum, m) => sum + m.keys, 0)).toBe(SEEDED_KEYS)
    expect(report.scanned.keys).toBe(SEEDED_KEYS)
    expect(report.scanned.totalKeys).toBe(SEEDED_KEYS)
    expect(report.server.databases).toEqual({ '0': SEEDED_KEYS })
  })

  it('infers the same patterns as on one server, with the same counts', () => {
    const counts = Object.fromEntries(report.patterns.map((p) => [p.pattern, p.keys]))
    expect(counts).toEqual({
      [SEED.visits.pattern]: SEED.visits.count,
      [SEED.catalog.pattern]: 1,
      [SEED.profiles.pattern]: SEED.profiles.count,
      [SEED.sessions.pattern]: SEED.sessions.count,
      [SEED.leaderboard.pattern]: 1,
      [SEED.prefs.pattern]: SEED.prefs.count,
      [SEED.events.pattern]: SEED.events.count,
    })
  })

  it("raises the seed's findings once, plus those of the launcher's default configuration", () => {
    expect(findingKeys(report.findings)).toEqual(
      [
        // The launcher's defaults: no password on the default user, no AOF, no maxmemory.
        'security medium -',
        'persistence medium -',
        'eviction-policy medium -',
        // The seed (a Cluster has db 0 only, so no logical-databases).
        'security medium -',
        'big-key medium catalog:products',
        'no-ttl medium user:<email>:prefs',
        'no-ttl low events:<date>:count',
        'no-ttl low visits:<id>',
        'encoding low leaderboard:weekly',
        'hash-candidate low visits:<id>',
      ].sort(),
    )
    const users = report.findings.filter((f) => f.rule === 'security').map((f) => f.data?.user)
    expect(users.sort()).toEqual(['app', 'default'])
  })

  it('names the masters behind each server-level finding', () => {
    const addresses = report.server.masters.map((m) => m.address).sort()
    for (const rule of ['security', 'persistence', 'eviction-policy']) {
      for (const f of report.findings.filter((x) => x.rule === rule))
        expect([...(f.nodes ?? [])].sort()).toEqual(addresses)
    }
  })

  it('reads the same through the client, the pipeline and the script on every master', async () => {
    // The script reads keys it is not given as KEYS: on a Cluster that is only allowed for keys
    // of the node's own slots, which is all SCAN on that node returns.
    const summary = (r: AuditReport) => ({
      keys: r.scanned.keys,
      masters: r.server.masters.map((m) => m.keys),
      patterns: Object.fromEntries(
        r.patterns.map((p) => [p.pattern, [p.keys, p.types, p.encodings, p.size.max]]),
      ),
      findings: findingKeys(r.findings),
    })
    const expected = summary(report)
    expect(summary(await audit(db, { transport: 'client' }))).toEqual(expected)
    expect(summary(await audit(db, { transport: 'connection', script: false }))).toEqual(expected)
    // With the script, about one call per 100 keys on the masters.
    for (const node of await db.masters()) await node.call(['CONFIG', 'RESETSTAT'])
    const viaScript = await audit(db, { script: true })
    expect(summary(viaScript)).toEqual(expected)
    let scripts = 0
    for (const node of await db.masters()) {
      const stats = String(await node.call(['INFO', 'commandstats']))
      scripts += Number(/cmdstat_evalsha_ro:calls=(\d+)/.exec(stats)?.[1] ?? 0)
      scripts += Number(/cmdstat_eval_ro:calls=(\d+)/.exec(stats)?.[1] ?? 0)
    }
    expect(scripts).toBeGreaterThanOrEqual(Math.ceil(SEEDED_KEYS / 100))
  })
})
