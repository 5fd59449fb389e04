import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AuditReport, audit } from '../../src/audit/index.js'
import { connect, type RedisExpertClient } from '../../src/index.js'
import { type RedisServer, startRedis } from '../../src/testing/index.js'
import { findingKeys, pipelined, SEED, SEEDED_KEYS, seedCommands } from './seed.js'

const PASSWORD = 'audit-test-secret'

/** A user that may scan and inspect keys, and nothing else: no CONFIG, ACL or SLOWLOG. */
const AUDITOR_RULES = [
  '~*',
  '-@all',
  '+scan',
  '+type',
  '+pttl',
  '+memory|usage',
  '+object|encoding',
  '+strlen',
  '+hlen',
  '+scard',
  '+zcard',
  '+llen',
  '+xlen',
  '+info',
  '+dbsize',
  '+ping',
  '+command',
  '+client|info',
  '+client|setname',
  '+hello',
  '+select',
]

let server: RedisServer
let db: RedisExpertClient
let report: AuditReport

beforeAll(async () => {
  // A well-configured server, so that every finding comes from the seed: AOF with fsync every
  // second, a memory limit with a volatile policy, a password on the default user.
  server = await startRedis({
    requirepass: PASSWORD,
    config: {
      appendonly: 'yes',
      appendfsync: 'everysec',
      maxmemory: '512mb',
      'maxmemory-policy': 'volatile-lru',
    },
    users: [
      { name: 'app', password: 'app-secret', rules: ['~*', '&*', '+@all'] },
      { name: 'auditor', password: 'auditor-secret', rules: AUDITOR_RULES },
      {
        name: 'blind',
        password: 'blind-secret',
        rules: AUDITOR_RULES.filter((r) => r !== '+memory|usage' && r !== '+object|encoding'),
      },
    ],
  })
  const url = `redis://:${PASSWORD}@${server.host}:${server.port}`
  db = await connect({ url, guard: 'off' })
  await pipelined(db, seedCommands())
  const db1 = await connect({ url, database: 1, guard: 'off' })
  try {
    await pipelined(
      db1,
      Array.from({ length: SEED.legacy.count }, (_, i) => ['SET', `legacy:${i}`, 'x']),
    )
  } finally {
    await db1.close()
  }
  report = await audit(db)
}, 60_000)

afterAll(async () => {
  await db?.close()
  await server?.stop()
})

describe('audit of a seeded standalone server', () => {
  it('scans every key of db 0 once', () => {
    expect(report.scanned.keys).toBe(SEEDED_KEYS)
    expect(report.scanned.totalKeys).toBe(SEEDED_KEYS)
    expect(report.scanned.sampled).toBe(false)
    expect(report.scanned.scale).toBe(1)
    expect(report.scanned.unavailable).toEqual([])
    expect(report.server.database).toBe(0)
    expect(report.server.databases).toEqual({ '0': SEEDED_KEYS, '1': SEED.legacy.count })
  })

  it('infers exactly the seeded patterns, with their counts and types', () => {
    const patterns = Object.fromEntries(report.patterns.map((p) => [p.pattern, p]))
    expect(Object.keys(patterns).sort()).toEqual(
      [
        SEED.profiles.pattern,
        SEED.sessions.pattern,
        SEED.events.pattern,
        SEED.prefs.pattern,
        SEED.catalog.pattern,
        SEED.leaderboard.pattern,
        SEED.visits.pattern,
      ].sort(),
    )
    expect(patterns['visits:<id>']).toMatchObject({ keys: 50_000, types: { string: 50_000 } })
    expect(patterns['user:<id>:profile']).toMatchObject({ keys: 300, types: { hash: 300 } })
    expect(patterns['session:<uuid>']).toMatchObject({ keys: 200, types: { string: 200 } })
    expect(patterns['events:<date>:count']).toMatchObject({ keys: 30, types: { string: 30 } })
    expect(patterns['user:<email>:prefs']).toMatchObject({ keys: 20, types: { hash: 20 } })
    expect(patterns['catalog:products']?.encodings).toEqual({ hashtable: 1 })
    expect(patterns['leaderboard:weekly']?.encodings).toEqual({ skiplist: 1 })
    expect(patterns['leaderboard:weekly']?.size.max).toBe(140)
  })

  it('measures memory and TTLs per pattern', () => {
    const visits = report.patterns.find((p) => p.pattern === 'visits:<id>')!
    expect(visits.memory.total).toBeGreaterThan(50_000 * 40)
    expect(visits.memory.p99).toBeLessThan(200)
    expect(visits.ttl).toMatchObject({ withTtl: 0, withoutTtl: 50_000, coverage: 0, minMs: null })
    const prefs = report.patterns.find((p) => p.pattern === 'user:<email>:prefs')!
    expect(prefs.ttl).toMatchObject({ withTtl: 15, withoutTtl: 5, coverage: 0.75 })
    expect(prefs.ttl.distribution['1d-7d']).toBe(15)
    const profiles = report.patterns.find((p) => p.pattern === 'user:<id>:profile')!
    expect(profiles.ttl.distribution['1m-1h']).toBe(300)
    expect(profiles.ttl.maxMs).toBeLessThanOrEqual(3_600_000)
    const catalog = report.patterns.find((p) => p.pattern === 'catalog:products')!
    expect(catalog.largest[0]).toMatchObject({ key: 'catalog:products', type: 'hash', size: 6000 })
    // Largest memory first.
    expect(report.patterns[0]?.memory.total).toBeGreaterThanOrEqual(report.patterns[1]?.memory.total ?? 0)
  })

  it('raises each expected finding and nothing the seed does not justify', () => {
    expect(findingKeys(report.findings)).toEqual(
      [
        'security medium -',
        'logical-databases medium -',
        'big-key medium catalog:products',
        'no-ttl medium user:<email>:prefs',
        'no-ttl low events:<date>:count',
        'no-ttl low visits:<id>',
        'encoding low leaderboard:weekly',
        'hash-candidate low visits:<id>',
      ].sort(),
    )
  })

  it('explains each finding with its numbers and a fix', () => {
    const find = (rule: string, pattern?: string) =>
      report.findings.find((f) => f.rule === rule && (pattern === undefined || f.pattern === pattern))!
    expect(find('security').data).toMatchObject({ user: 'app', grant: '+@all' })
    expect(find('security').message).toContain('"app" has +@all')
    expect(find('logical-databases').data).toEqual({ db0: SEEDED_KEYS, db1: SEED.legacy.count })
    expect(find('big-key').data).toMatchObject({
      largestKey: 'catalog:products',
      largestSize: 6000,
      threshold: 5000,
    })
    expect(find('big-key').key).toBe('catalog:products')
    expect(find('no-ttl', 'user:<email>:prefs').data).toMatchObject({ keys: 5, patternKeys: 20 })
    expect(find('encoding').data).toMatchObject({
      limit: 128,
      maxSize: 140,
      parameter: 'zset-max-listpack-entries',
      suggested: 192,
    })
    expect(find('encoding').fix).toContain('CONFIG SET zset-max-listpack-entries 192')
    const candidate = find('hash-candidate').data!
    expect(candidate.keys).toBe(50_000)
    // Bucketed into listpack hashes, 50k tiny strings shrink to a fraction of their size.
    expect(candidate.estimatedSaving as number).toBeGreaterThan((candidate.bytes as number) * 0.5)
    for (const f of report.findings) {
      expect(f.message.length).toBeGreaterThan(20)
      expect(f.fix.length).toBeGreaterThan(20)
    }
    // Most severe first.
    expect(report.findings.map((f) => f.severity)).toEqual(
      [...report.findings.map((f) => f.severity)].sort(
        (a, b) => ['high', 'medium', 'low', 'info'].indexOf(a) - ['high', 'medium', 'low', 'info'].indexOf(b),
      ),
    )
  })

  it('is valid, stable JSON', () => {
    const json = JSON.parse(JSON.stringify(report)) as AuditReport
    expect(Object.keys(json).sort()).toEqual(['findings', 'patterns', 'scanned', 'server', 'version'])
    expect(json.version).toBe(1)
    expect(json.server.masters).toHaveLength(1)
    expect(json.server.masters[0]).toMatchObject({ keys: SEEDED_KEYS, maxmemoryPolicy: 'volatile-lru' })
  })

  it('reads the same through the client, the audit connection and its script', async () => {
    // The default (report, above) is the audit's own connection with pipelined commands.
    const summary = (r: AuditReport) => ({
      keys: r.scanned.keys,
      vanished: r.scanned.vanished,
      // TTLs tick down between two audits: compare them to ten minutes.
      // Keys of equal size may reach the top-5 in either order (batches finish in any order).
      patterns: r.patterns.map((p) => ({
        ...p,
        largest: p.largest.map((k) => k.bytes),
        ttl: Object.fromEntries(
          Object.entries(p.ttl).map(([k, v]) => [
            k,
            k.endsWith('Ms') && typeof v === 'number' ? Math.round(v / 600_000) : v,
          ]),
        ),
      })),
      findings: findingKeys(r.findings),
    })
    const expected = summary(report)
    const viaClient = await audit(db, { transport: 'client' })
    expect(summary(viaClient)).toEqual(expected)
    expect(report.scanned.commands).toBe(viaClient.scanned.commands)
    const viaScript = await audit(db, { transport: 'connection', script: true })
    expect(summary(viaScript)).toEqual(expected)
    // The script's calls count too, beside the commands they run: about one per 100 keys.
    expect(viaScript.scanned.commands - viaClient.scanned.commands).toBeGreaterThan(SEEDED_KEYS / 100)
    expect(viaScript.scanned.commands - viaClient.scanned.commands).toBeLessThan(SEEDED_KEYS / 50)
  })

  it('bad transport options are typed errors', async () => {
    await expect(audit(db, { transport: 'raw' as 'client' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    })
    await expect(audit(db, { script: 'yes' as unknown as boolean })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    })
    const { options: _, ...bare } = {
      options: null,
      mode: db.mode,
      masters: () => db.masters(),
      probe: () => db.probe(),
    }
    await expect(audit(bare, { transport: 'connection' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
  })

  it('--sample stops early and extrapolates', async () => {
    const sampled = await audit(db, { sample: 5000 })
    expect(sampled.scanned.sampled).toBe(true)
    expect(sampled.scanned.keys).toBeGreaterThanOrEqual(5000)
    expect(sampled.scanned.keys).toBeLessThan(6000)
    expect(sampled.scanned.scale).toBeCloseTo(SEEDED_KEYS / sampled.scanned.keys, 2)
    const visits = sampled.patterns.find((p) => p.pattern === 'visits:<id>')!
    // SCAN order is hash order, unrelated to names: the sample is representative.
    expect(visits.estimatedKeys).toBeGreaterThan(45_000)
    expect(visits.estimatedKeys).toBeLessThan(55_000)
    expect(visits.memory.estimatedTotal).toBeGreaterThan(visits.memory.total * 5)
  })

  it('--rate caps the commands per second', async () => {
    const rate = 20_000
    const limited = await audit(db, { sample: 3000, rate })
    const seconds = limited.scanned.durationMs / 1000
    expect(limited.scanned.rateLimit).toBe(rate)
    // The bucket starts with a tenth of a second of credit (rate / 10); beyond it the rate holds.
    expect(limited.scanned.commands - rate / 10).toBeLessThanOrEqual(rate * seconds * 1.02)
    expect(seconds).toBeGreaterThan(0.4)
    expect(limited.scanned.commands).toBeGreaterThan(3000 * 3)
  })

  it('scans on without MEMORY USAGE and OBJECT ENCODING, saying what it could not measure', async () => {
    // The same user with the audit's script allowed: the script's refused reads come back as
    // errors in place, and the scan drops them as the pipelined path does.
    const blindRules = AUDITOR_RULES.filter((r) => r !== '+memory|usage' && r !== '+object|encoding')
    await db.call([
      'ACL',
      'SETUSER',
      'blind-lua',
      'on',
      '>blind-lua-secret',
      ...blindRules,
      '+eval_ro',
      '+evalsha_ro',
    ])
    const cases = [
      { user: 'blind:blind-secret', options: {} },
      { user: 'blind:blind-secret', options: { transport: 'client' as const } },
      { user: 'blind-lua:blind-lua-secret', options: { script: true } },
    ]
    for (const { user, options } of cases) {
      const restricted = await connect({ url: `redis://${user}@${server.host}:${server.port}`, guard: 'off' })
      try {
        const limited = await audit(restricted, { sample: 3000, ...options })
        expect([...limited.scanned.unavailable].sort()).toEqual(['MEMORY USAGE', 'OBJECT ENCODING'])
        // Types come from TYPE, sizes still from the size commands.
        const visits = limited.patterns.find((p) => p.pattern === 'visits:<id>')!
        expect(visits.types).toEqual({ string: visits.keys })
        expect(visits.size.max).toBeGreaterThan(0)
        const info = limited.findings.filter((f) => f.severity === 'info').map((f) => f.rule)
        expect(info).toEqual(expect.arrayContaining(['hash-candidate', 'encoding']))
      } finally {
        await restricted.close()
      }
    }
  })

  it('degrades to info findings when CONFIG, ACL and SLOWLOG are forbidden', async () => {
    const restricted = await connect({
      url: `redis://auditor:auditor-secret@${server.host}:${server.port}`,
      guard: 'off',
    })
    try {
      // No EVAL_RO in this user's ACL: the script is refused and the pipelined reads take over.
      const limited = await audit(restricted, { transport: 'connection', script: true })
      expect(limited.scanned.keys).toBe(SEEDED_KEYS)
      const info = limited.findings.filter((f) => f.severity === 'info').map((f) => `${f.rule}: ${f.message}`)
      expect(info).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^security: ACL LIST was refused \(NOPERM/),
          expect.stringMatching(/^security: CONFIG GET was refused/),
          expect.stringMatching(/^slowlog: SLOWLOG GET was refused/),
          expect.stringMatching(/^encoding: CONFIG GET was refused/),
          expect.stringMatching(/^audit-access: SCRIPT EXISTS was refused \(NOPERM/),
        ]),
      )
      expect(info).toHaveLength(5)
      // Without ACL LIST the +@all user cannot be seen; everything the keys show still is.
      expect(findingKeys(limited.findings.filter((f) => f.severity !== 'info'))).toEqual(
        [
          'logical-databases medium -',
          'big-key medium catalog:products',
          'no-ttl medium user:<email>:prefs',
          'no-ttl low events:<date>:count',
          'no-ttl low visits:<id>',
          'encoding low leaderboard:weekly',
          'hash-candidate low visits:<id>',
        ].sort(),
      )
    } finally {
      await restricted.close()
    }
  })
})
