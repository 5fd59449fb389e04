import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connect } from '../../../src/connect.js'
import { RedisExpertError } from '../../../src/errors.js'
import { defineKeyspace, t } from '../../../src/keyspace/index.js'
import { parsePattern } from '../../../src/keyspace/pattern.js'
import { bindKeyspace } from '../../../src/ops/index.js'
import {
  type AclPlan,
  generateAcl,
  globWitness,
  renderAcl,
  setUserCommands,
} from '../../../src/report/acl/index.js'
import { type RedisServer, startRedis } from '../../../src/testing/index.js'
import { every, move } from '../python/fixtures/every.js'

/** The generator's decisions, pure; then its aclfile loaded by a real server, and Redis 6-style rules applied. */

const social = defineKeyspace('soc', {
  user: { pattern: 'user:<id>', type: t.hash<{ name: string }>(), role: 'state', ttl: '1d', maxItems: 8 },
  friends: { pattern: 'user:<id>:friends', type: t.set(), role: 'state', ttl: '1d' },
  cart: { pattern: 'cart:{<uid>}', type: t.hash<number>(), role: 'state', ttl: '1d' },
})

function rulesOf(plan: AclPlan): string[] {
  return setUserCommands(plan).flatMap((command) => command.slice(3))
}

function code(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (error) {
    return error instanceof RedisExpertError ? error.code : String(error)
  }
  return undefined
}

describe('generateAcl', () => {
  it('grants commands, never a category: -@all and nothing like +@write or +@read', () => {
    const plan = generateAcl({ keyspaces: [every], scripts: [move] })
    expect(plan.users.map((u) => u.name)).toEqual(['app', 'auditor'])
    const rules = rulesOf(plan)
    expect(rules.filter((r) => r.includes('@'))).toEqual(['-@all', '-@all'])
    for (const forbidden of [
      '+keys',
      '+flushall',
      '+flushdb',
      '+config',
      '+debug',
      '+monitor',
      '+shutdown',
      '+swapdb',
    ])
      expect(rules.join(' ').split(/[ ()]/)).not.toContain(forbidden)
  })

  it('reads are %R~, blind writes %W~, scripted writes ~; whole reads only for bounded entries', () => {
    const plan = generateAcl({
      keyspaces: [social],
      access: { users: { r: { read: ['soc.user', 'soc.cart'] }, w: { write: ['soc.user'] } } },
    })
    const [reader, writer] = plan.users
    expect(reader!.selectors.map((s) => `${s.permission}${s.pattern}`)).toEqual([
      '%R~soc:user:*',
      '%R~soc:cart:{*}',
    ])
    expect(reader!.selectors[0]!.commands).toContain('hgetall')
    expect(reader!.selectors[1]!.commands).not.toContain('hgetall')
    expect(reader!.selectors[1]!.commands).toContain('hscan')
    // The user hash has a TTL: its writes are write.lua, and a script's keys are read and written.
    expect(writer!.selectors.map((s) => `${s.permission}${s.pattern}`)).toEqual(['~soc:user:*'])
    expect(writer!.notes.join('\n')).toMatch(/write-only access is ~, not %W~/)
  })

  it('says when an entry’s glob covers a sibling entry it does not grant (no "any but :" in Redis globs)', () => {
    const only = generateAcl({ keyspaces: [social], access: { users: { u: { readwrite: ['soc.user'] } } } })
    const note = only.users[0]!.notes.find((n) => n.includes('also covers'))
    expect(note).toMatch(
      /soc:user:\* of soc\.user also covers soc\.friends \(soc:user:<id>:friends, e\.g\. soc:user:x:friends\)/,
    )
    const both = generateAcl({ keyspaces: [social], access: { users: { u: { readwrite: ['soc.*'] } } } })
    expect(both.users[0]!.notes.some((n) => n.includes('also covers'))).toBe(false)
    // Braces are literal in an ACL glob: the cart's {*} covers nothing else.
    expect(globWitness('soc:cart:{*}', parsePattern('soc', 'cart:{<uid>}:<sku>', 'x'))).toBeNull()
    expect(globWitness('soc:a:*:b', parsePattern('soc', 'a:<p>:<q>', 'x'))).toBe('soc:a:x:b')
  })

  it('names module commands and SCAN with what they expose; refuses to grant the hard stops', () => {
    const plan = generateAcl({
      keyspaces: [social],
      access: {
        users: { s: { read: ['soc.user'], scan: true, commands: ['FT.SEARCH', 'FLUSHALL', 'KEYS'] } },
      },
    })
    const user = plan.users[0]!
    expect(user.commands.map((c) => c.name)).toEqual(expect.arrayContaining(['scan', 'ft.search']))
    expect(user.commands.map((c) => c.name)).not.toContain('flushall')
    expect(user.commands.map((c) => c.name)).not.toContain('keys')
    const notes = user.notes.join('\n')
    expect(notes).toMatch(/SCAN is keyless: it returns every key name/)
    expect(notes).toMatch(/FT\.SEARCH: a module command has no ACL category on Redis 7\.0/)
    expect(notes).toMatch(/FLUSHALL is never granted/)
    expect(notes).toMatch(/KEYS is never granted/)
  })

  it('channels get & patterns; passwords are written as SHA-256, never in clear', () => {
    const plan = generateAcl({
      keyspaces: [social],
      access: { users: { p: { channels: { publish: ['soc:events'], subscribe: ['soc:*'] } } } },
      passwords: { p: 's3cret' },
    })
    const text = renderAcl(plan, 'acl')
    expect(text).toContain('&soc:events &soc:*')
    expect(text).not.toContain('s3cret')
    expect(plan.users[0]!.passwordHash).toBe(
      '1ec1c26b50d5d3c58d9583181af8076655fe00756bf7285940ba3670f99fcba0',
    )
    expect(JSON.parse(renderAcl(plan, 'json')).users[0].rules).toContain('&soc:events')
  })

  it('refuses a malformed access declaration, naming what is wrong', () => {
    const ks = [social]
    expect(code(() => generateAcl({ keyspaces: ks, access: { users: { u: { read: ['soc.nope'] } } } }))).toBe(
      'INVALID_ARGUMENT',
    )
    expect(
      code(() => generateAcl({ keyspaces: ks, access: { users: { u: { read: ['nope.user'] } } } })),
    ).toBe('INVALID_ARGUMENT')
    expect(
      code(() => generateAcl({ keyspaces: ks, access: { users: { u: { reads: ['soc.user'] } } } })),
    ).toBe('INVALID_ARGUMENT')
    expect(code(() => generateAcl({ keyspaces: ks, access: { users: { default: {} } } }))).toBe(
      'INVALID_ARGUMENT',
    )
    expect(code(() => generateAcl({ keyspaces: ks, access: { users: { u: { scripts: ['x'] } } } }))).toBe(
      'INVALID_ARGUMENT',
    )
    expect(code(() => generateAcl({ keyspaces: ks, access: [] }))).toBe('INVALID_ARGUMENT')
  })
})

describe('on a real server', () => {
  let server: RedisServer
  beforeAll(async () => {
    server = await startRedis()
  }, 30_000)
  afterAll(async () => {
    await server?.stop()
  })

  it('the aclfile format loads: a server started with it has the users', async () => {
    const plan = generateAcl({
      keyspaces: [every],
      scripts: [move],
      passwords: { app: 'pw', auditor: 'pw2' },
    })
    const file = join(server.dir, 'users.acl')
    writeFileSync(file, `user default on nopass ~* &* +@all\n${renderAcl(plan, 'acl')}`)
    const loaded = await startRedis({ config: { aclfile: file } })
    try {
      const db = await connect({ url: loaded.url })
      const list = (await db.call(['ACL', 'LIST'])) as string[]
      await db.close()
      expect(list.find((l) => l.startsWith('user app '))).toContain('(~fx:profile:{*} ')
      expect(list.find((l) => l.startsWith('user auditor '))).toContain('%R~*')
      const app = await connect({ url: loaded.url.replace('redis://', 'redis://app:pw@') })
      expect(await bindKeyspace(app, every).profile({ uid: 1 }).hset({ name: 'a' })).toBe(1)
      await app.close()
    } finally {
      await loaded.stop()
    }
  })

  it('blind writes pass with %W~ alone, as the table says (ACL DRYRUN); a script’s keys do not', async () => {
    const admin = await connect({ url: server.url })
    try {
      await admin.call(['ACL', 'SETUSER', 'blind', 'on', 'nopass', '%W~k:*', '+@all'])
      const dry = (command: string[]) => admin.call(['ACL', 'DRYRUN', 'blind', ...command])
      for (const command of [
        ['SET', 'k:1', 'v', 'PX', '10'],
        ['PEXPIRE', 'k:1', '10'],
        ['UNLINK', 'k:1'],
        ['HSET', 'k:1', 'f', 'v'],
        ['HDEL', 'k:1', 'f'],
        ['RPUSH', 'k:1', 'a'],
        ['LPUSH', 'k:1', 'a'],
        ['LTRIM', 'k:1', '0', '1'],
        ['SADD', 'k:1', 'a'],
        ['SREM', 'k:1', 'a'],
        ['ZADD', 'k:1', '1', 'a'],
        ['ZREM', 'k:1', 'a'],
        ['XADD', 'k:1', '*', 'a', 'b'],
        ['PFADD', 'k:1', 'a'],
      ])
        expect(await dry(command), command.join(' ')).toBe('OK')
      for (const command of [
        ['EVALSHA', 'a'.repeat(40), '1', 'k:1'],
        ['HINCRBY', 'k:1', 'f', '1'],
        ['RPOP', 'k:1'],
      ])
        expect(String(await dry(command)), command.join(' ')).toMatch(
          /no permissions to access the 'k:1' key/,
        )
    } finally {
      await admin.close()
    }
  })

  it('without selectors (Redis 6): one rule set, and the note says which commands spill onto other entries', async () => {
    const plan = generateAcl({
      keyspaces: [social],
      access: { users: { u: { readwrite: ['soc.user', 'soc.cart'] } } },
      passwords: { u: 'pw' },
      selectors: false,
    })
    const user = plan.users[0]!
    expect(user.selectors).toEqual([])
    expect(user.keys.map((k) => `${k.permission}${k.pattern}`)).toEqual(['~soc:user:*', '~soc:cart:{*}'])
    expect(user.notes.join('\n')).toMatch(
      /HGETALL, granted for soc\.user \(bounded\), also runs on soc\.cart/,
    )
    const admin = await connect({ url: server.url })
    for (const command of setUserCommands(plan)) await admin.call(command)
    await admin.close()
    const db = await connect({ url: server.url.replace('redis://', 'redis://u:pw@') })
    const soc = bindKeyspace(db, social)
    await soc.user({ id: 1 }).hset({ name: 'n' })
    expect(await soc.user({ id: 1 }).get()).toEqual({ name: 'n' })
    expect(await soc.cart({ uid: 1 }).hincrBy('sku', 2)).toBe(2)
    await db.close()
  })
})
