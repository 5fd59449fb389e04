import { existsSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connect, type RedisExpertClient } from '../../../src/connect.js'
import { RedisExpertError } from '../../../src/errors.js'
import { GuardError } from '../../../src/guard/index.js'
import { defineKeyspace, t } from '../../../src/keyspace/index.js'
import { generateAcl, setUserCommands } from '../../../src/report/acl/index.js'
import { type RedisServer, startRedis } from '../../../src/testing/index.js'

/**
 * Modules, with the one Debian ships: RediSearch 1.2 (`apt-get install redis-redisearch`, which
 * `.ci/run` installs). It loads on Redis 7.0.15 (MODULE LIST: name `ft`, ver 10200). The probe
 * lists it (MODULE LIST, or INFO where MODULE is refused), the guard takes the FT.* commands' key
 * positions and write flags from COMMAND, and the ACL generator names them: a user allowed
 * FT.SEARCH on a declared index runs it there and gets NOPERM for what it was not granted.
 */

const SO = '/usr/lib/redis/modules/redisearch.so'

/** The index's name is the key FT.* commands take (COMMAND: first key at position 1). */
const mod = defineKeyspace('mod', {
  products: {
    pattern: 'products-idx',
    type: t.string(),
    role: 'reference',
    ttl: 'persistent',
    description: 'a RediSearch index: FT.CREATE / FT.ADD / FT.SEARCH take its name as their key',
  },
  other: { pattern: 'other-idx', type: t.string(), role: 'reference', ttl: 'persistent' },
})
const INDEX = mod.products.key()
const OTHER = mod.other.key()

let server: RedisServer
let admin: RedisExpertClient
let searcher: RedisExpertClient

beforeAll(async () => {
  if (!existsSync(SO)) throw new Error(`${SO} is missing: apt-get install -y redis-redisearch (.ci/run does)`)
  server = await startRedis({ config: { loadmodule: SO } })
  admin = await connect({ url: server.url })
  admin.declare(mod)
  const plan = generateAcl({
    keyspaces: [mod],
    access: { users: { search: { read: ['mod.products'], commands: ['FT.SEARCH'] } } },
    passwords: { search: 'pw-search' },
  })
  for (const command of setUserCommands(plan)) await admin.call(command)
  searcher = await connect({ url: server.url.replace('redis://', 'redis://search:pw-search@') })
  searcher.declare(mod) // so that it is the server, not the client's guard, that refuses the writes
  await admin.call(['FT.CREATE', INDEX, 'SCHEMA', 'title', 'TEXT'])
  await admin.call(['FT.ADD', INDEX, 'mod:doc:1', 1, 'FIELDS', 'title', 'red shoes'])
  await admin.call(['FT.CREATE', OTHER, 'SCHEMA', 'title', 'TEXT'])
}, 60_000)
afterAll(async () => {
  await searcher?.close()
  await admin?.close()
  await server?.stop()
})

async function refusal(run: () => Promise<unknown>): Promise<string> {
  try {
    await run()
    return 'ran'
  } catch (error) {
    if (error instanceof GuardError) return error.code
    if (!(error instanceof RedisExpertError)) throw error
    const reply = String(error.details.reply ?? error.message)
    return /^NOPERM/.test(reply) ? 'NOPERM' : reply
  }
}

describe('RediSearch 1.2 on Redis 7.0', () => {
  it('probe() lists it from MODULE LIST, with its file', async () => {
    const probe = await admin.probe()
    expect(probe.modules).toEqual([{ name: 'ft', version: 10200, path: SO }])
  })

  it('probe() falls back to INFO where MODULE LIST is refused (a user without @admin)', async () => {
    await expect(searcher.call(['MODULE', 'LIST'])).rejects.toThrow(/NOPERM/)
    await admin.call(['ACL', 'SETUSER', 'search', '+info'])
    try {
      const probe = await searcher.probe()
      expect(probe.modules).toEqual([{ name: 'ft', version: 10200 }])
    } finally {
      await admin.call(['ACL', 'SETUSER', 'search', '-info'])
    }
  })

  it('the guard classifies FT.* from COMMAND: FT.CREATE writes its index key, FT.SEARCH reads it', async () => {
    // FT.CREATE is flagged `write` and takes its key at position 1: an undeclared index is a key
    // created without a TTL.
    let error: unknown
    try {
      await admin.call(['FT.CREATE', 'undeclared-idx', 'SCHEMA', 'title', 'TEXT'])
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(GuardError)
    expect((error as GuardError).code).toBe('GUARD_TTL_REQUIRED')
    expect((error as GuardError).violation.key).toBe('undeclared-idx')
    // A read of it, and a write of a declared (persistent) index, pass.
    expect(await refusal(() => admin.call(['FT.SEARCH', 'undeclared-idx', 'x']))).toMatch(
      /Unknown Index name/i,
    )
    expect(await admin.call(['FT.ADD', INDEX, 'mod:doc:2', 1, 'FIELDS', 'title', 'blue shoes'])).toBe('OK')
  })

  it('the generated ACL names the module command on the index’s keys', () => {
    const plan = generateAcl({
      keyspaces: [mod],
      access: { users: { search: { read: ['mod.products'], commands: ['FT.SEARCH'] } } },
    })
    const [user] = plan.users
    expect(user?.selectors.map((s) => `~${s.pattern} ${s.commands.join(' ')}`)).toEqual([
      expect.stringMatching(/^~mod:products-idx .*\bft\.search\b/),
    ])
    expect(user?.notes.join('\n')).toMatch(/FT\.SEARCH: a module command has no ACL category/)
  })

  it('a user with the generated ACL runs FT.SEARCH on its index; NOPERM for what it was not granted', async () => {
    const found = (await searcher.call(['FT.SEARCH', INDEX, 'shoes', 'NOCONTENT'])) as unknown[]
    expect(found[0]).toBe(2)
    expect(await refusal(() => searcher.call(['FT.SEARCH', OTHER, 'shoes']))).toBe('NOPERM')
    expect(await refusal(() => searcher.call(['FT.DROP', INDEX]))).toBe('NOPERM')
    expect(
      await refusal(() => searcher.call(['FT.ADD', INDEX, 'mod:doc:3', 1, 'FIELDS', 'title', 'x'])),
    ).toBe('NOPERM')
    expect(await refusal(() => searcher.call(['FT.CREATE', INDEX, 'SCHEMA', 'a', 'TEXT']))).toBe('NOPERM')
    expect(
      await refusal(() =>
        searcher.unsafe({ reason: 'test: the server refuses' }, (raw) => raw.call(['KEYS', '*'])),
      ),
    ).toBe('NOPERM')
    expect(
      await refusal(() =>
        searcher.unsafe({ reason: 'test: the server refuses' }, (raw) => raw.call(['FLUSHALL', 'ASYNC'])),
      ),
    ).toBe('NOPERM')
    // The index is still there and whole.
    expect(((await admin.call(['FT.SEARCH', INDEX, 'shoes', 'NOCONTENT'])) as unknown[])[0]).toBe(2)
  })
})
