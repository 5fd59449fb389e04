import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { shop } from '../../examples/shop/keys.js'
import type { AuditReport } from '../../src/audit/index.js'
import { resolveCliOptions, runAudit } from '../../src/cli/audit.js'
import { type Command, connect, RedisExpertError } from '../../src/index.js'
import { type RedisServer, startRedis } from '../../src/testing/index.js'
import { findingKeys, pipelined } from './seed.js'

const PASSWORD = 'schema-test-secret'
const DAY = 86_400

let server: RedisServer
let url: string
let report: AuditReport

/** examples/shop/keys.ts as the application writes it, plus deliberate drift. */
function shopCommands(): Command[] {
  const c: Command[] = []
  for (let id = 1; id <= 20; id++)
    c.push(
      ['HSET', shop.user.key({ id }), 'name', `User ${id}`, 'email', `u${id}@shop.test`],
      ['EXPIRE', shop.user.key({ id }), 30 * DAY],
    )
  for (let id = 1; id <= 20; id++)
    c.push(['SET', shop.product.key({ id }), JSON.stringify({ id, name: 'Mug' }), 'EX', 600])
  for (let i = 0; i < 10; i++) {
    const key = shop.session.key({ sid: randomUUID() })
    c.push(['HSET', key, 'user', String(i), 'csrf', 'token'], ['EXPIRE', key, 1800])
  }
  for (let uid = 1; uid <= 10; uid++)
    c.push(['HSET', shop.cart.key({ uid }), 'sku-1', '2'], ['EXPIRE', shop.cart.key({ uid }), 7 * DAY])
  for (const game of ['chess', 'go'])
    for (let m = 0; m < 10; m++) c.push(['ZADD', shop.board.key({ game }), m, `p${m}`])
  for (const day of ['2024-03-01', '2024-03-02', '2024-03-03'])
    c.push(['PFADD', shop.visitors.key({ day }), 'a', 'b'], ['EXPIRE', shop.visitors.key({ day }), 400 * DAY])
  c.push(['SET', shop.config.key(), JSON.stringify({ currency: 'EUR' })])

  // Drift 1, schema-type: a product stored as a hash.
  c.push(
    ['HSET', shop.product.key({ id: 999 }), 'name', 'Mug'],
    ['EXPIRE', shop.product.key({ id: 999 }), 600],
  )
  // Drift 2, schema-ttl: products written without their TTL...
  for (let id = 101; id <= 105; id++) c.push(['SET', shop.product.key({ id }), JSON.stringify({ id })])
  // ...and a user whose TTL is longer than the declared 30 days.
  c.push(
    ['HSET', shop.user.key({ id: 500 }), 'name', 'Old'],
    ['EXPIRE', shop.user.key({ id: 500 }), 90 * DAY],
  )
  // Drift 3, schema-bound: a session of 40 fields, declared maxItems 32.
  const big = shop.session.key({ sid: 'big' })
  c.push(['HSET', big, ...Array.from({ length: 40 }, (_, f) => [`f${f}`, 'v']).flat()], ['EXPIRE', big, 1800])
  // Drift 4, schema-encoding: a user hash with a value past hash-max-listpack-value (64 B).
  const long = shop.user.key({ id: 600 })
  c.push(['HSET', long, 'bio', 'x'.repeat(100)], ['EXPIRE', long, 30 * DAY])
  // Drift 5, schema-undeclared: keys no entry declares.
  for (let id = 1; id <= 5; id++) c.push(['SET', `shop:legacy:${id}`, 'x', 'EX', 3600])
  for (let i = 0; i < 3; i++) c.push(['SET', `tmp:${randomUUID()}`, 'x', 'EX', 60])
  return c
}

beforeAll(async () => {
  server = await startRedis({
    requirepass: PASSWORD,
    config: {
      appendonly: 'yes',
      appendfsync: 'everysec',
      maxmemory: '256mb',
      'maxmemory-policy': 'volatile-lru',
    },
  })
  url = `redis://:${PASSWORD}@${server.host}:${server.port}`
  const db = await connect({ url, guard: 'off' })
  try {
    await pipelined(db, shopCommands())
  } finally {
    await db.close()
  }
  const run = await runAudit(resolveCliOptions({ url, format: 'json', schema: 'examples/shop/keys.ts' }))
  report = JSON.parse(run.output) as AuditReport
}, 60_000)

afterAll(async () => {
  await server?.stop()
})

describe('audit --schema examples/shop/keys.ts', () => {
  it('groups declared keys by their entry, the rest by inferred pattern', () => {
    expect(report.scanned.schema).toEqual({ keyspaces: ['shop'], entries: 7 })
    const entries = Object.fromEntries(report.patterns.map((p) => [p.pattern, p.entry]))
    expect(entries).toMatchObject({
      'shop:user:<id>': 'user',
      'shop:product:<id>': 'product',
      'shop:session:<sid>': 'session',
      'shop:cart:{<uid>}': 'cart',
      'shop:board:<game>': 'board',
      'shop:uv:<day>': 'visitors',
      'shop:config': 'config',
      'shop:legacy:<id>': null,
      'tmp:<uuid>': null,
    })
  })

  it('reports each deliberate drift, and nothing else', () => {
    expect(findingKeys(report.findings)).toEqual(
      [
        'schema-type high shop:product:<id>',
        'schema-ttl medium shop:product:<id>',
        'schema-ttl low shop:user:<id>',
        'schema-bound medium shop:session:<sid>',
        'schema-encoding low shop:user:<id>',
        'schema-undeclared medium shop:legacy:<id>',
        'schema-undeclared medium tmp:<uuid>',
        // The products without TTL are also what no-ttl reports, generic rule as it is.
        'no-ttl medium shop:product:<id>',
        // The hashtable user, just past the listpack value limit, is schema-encoding's alone: the
        // generic encoding rule leaves declared patterns to their declaration.
      ].sort(),
    )
  })

  it('names the entry, what was expected and what was found', () => {
    const drift = (rule: string, entry: string) =>
      report.findings.find((f) => f.rule === rule && f.data?.entry === entry)!
    expect(drift('schema-type', 'product')).toMatchObject({
      key: 'shop:product:999',
      data: { expected: 'string', found: 'hash (1)', keys: 1 },
    })
    expect(drift('schema-ttl', 'product').data).toMatchObject({
      expected: '10m',
      found: 'no TTL (5)',
      keys: 5,
    })
    expect(drift('schema-ttl', 'user').data).toMatchObject({
      expected: '30d',
      found: 'TTL above the declared band (1)',
    })
    expect(drift('schema-bound', 'session').data).toMatchObject({
      expected: 'maxItems 32',
      found: '40 items (1)',
    })
    expect(drift('schema-encoding', 'user').data).toMatchObject({
      expected: 'listpack',
      found: 'hashtable (1)',
    })
    expect(drift('schema-encoding', 'user').key).toBe('shop:user:600')
  })

  it('takes entries declared persistent at their word: no no-ttl for the board and the config', () => {
    const noTtl = report.findings.filter((f) => f.rule === 'no-ttl').map((f) => f.pattern)
    expect(noTtl).toEqual(['shop:product:<id>'])
    expect(report.patterns.find((p) => p.pattern === 'shop:board:<game>')?.ttl.withoutTtl).toBe(2)
    expect(report.patterns.find((p) => p.pattern === 'shop:config')?.ttl.withoutTtl).toBe(1)
  })

  it('--export picks one keyspace; bad schema input is a typed error', async () => {
    const run = await runAudit(
      resolveCliOptions({ url, format: 'json', schema: 'examples/shop/keys.ts', export: 'shop' }),
    )
    expect((JSON.parse(run.output) as AuditReport).scanned.schema?.keyspaces).toEqual(['shop'])
    for (const [options, message] of [
      [{ schema: 'examples/shop/missing.ts' }, /cannot load the module/],
      [{ schema: 'examples/shop/keys.ts', export: 'nope' }, /no keyspace export named "nope"/],
      [{ schema: 'package.json' }, /cannot load the module|exports no keyspace/],
      [{ export: 'shop' }, /--export selects a keyspace of --schema/],
    ] as const) {
      const error = await (async () => runAudit(resolveCliOptions({ url, ...options })))().catch(
        (e: unknown) => e,
      )
      expect(error).toBeInstanceOf(RedisExpertError)
      expect((error as RedisExpertError).code).toBe('INVALID_ARGUMENT')
      expect((error as RedisExpertError).message).toMatch(message)
    }
  })
})
