import { rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { audit } from '../../../src/audit/index.js'
import { aclReport } from '../../../src/cli/acl.js'
import { connect, type RedisExpertClient } from '../../../src/connect.js'
import { RedisExpertError } from '../../../src/errors.js'
import { bindKeyspace } from '../../../src/ops/index.js'
import { type RedisServer, startRedis } from '../../../src/testing/index.js'
import { every, move } from '../python/fixtures/every.js'
import { generateFixture, python } from '../python/helpers.js'

/**
 * The generated users applied to a real Redis 7 server: each can run exactly what its access
 * declaration grants — the typed operations, the script, its channels; the auditor the audit —
 * and is refused with NOPERM everything else: KEYS, FLUSHALL, CONFIG, DEBUG, keys outside its
 * entries, and scripts that call those or reach another key.
 */

const MODULE = fileURLToPath(new URL('./fixtures/access.ts', import.meta.url))
const USERS = ['app', 'web', 'producer', 'auditor'] as const
let server: RedisServer
let admin: RedisExpertClient
const clients = new Map<string, RedisExpertClient>()

beforeAll(async () => {
  // DEBUG enabled, so that it is the ACL that refuses it.
  server = await startRedis({ config: { 'enable-debug-command': 'yes' } })
  admin = await connect({ url: server.url })
  for (const user of USERS) process.env[`ACL_TEST_${user.toUpperCase()}`] = `pw-${user}`
  await aclReport(MODULE, {
    format: 'commands',
    apply: true,
    url: server.url,
    password: USERS.map((u) => `${u}=ACL_TEST_${u.toUpperCase()}`),
  })
  for (const user of USERS) {
    const url = server.url.replace('redis://', `redis://${user}:pw-${user}@`)
    clients.set(user, await connect({ url }))
  }
}, 60_000)
afterAll(async () => {
  for (const db of clients.values()) await db.close()
  await admin?.close()
  await server?.stop()
})

const as = (user: string) => clients.get(user)!

/** The server's refusal: NOPERM, or inside a script the ERR that wraps it. */
async function refusal(run: () => Promise<unknown>): Promise<string> {
  try {
    await run()
    return 'ran'
  } catch (error) {
    if (!(error instanceof RedisExpertError)) throw error
    const reply = String(error.details.reply ?? error.message)
    if (/^NOPERM/.test(reply)) return 'NOPERM'
    if (/can't (run this command|access at least one of the keys)/.test(reply))
      return 'NOPERM (in the script)'
    return `${error.code}: ${reply}`
  }
}

/** A raw command past the client's guard: the server alone decides. */
const raw = (user: string, command: (string | number)[]) =>
  as(user).unsafe({ reason: 'test: the server ACL decides' }, (db) => db.call(command))

describe('generated ACL users on a real server', () => {
  it('app runs every typed operation of every entry, and the script', async () => {
    const fx = bindKeyspace(as('app'), every)
    await fx.text({ id: 1 }).set('t')
    expect(await fx.text({ id: 1 }).get()).toBe('t')
    await fx.blob({ id: 1 }).set(Buffer.from([1]) as unknown as string)
    await fx.doc({ id: 1 }).set({
      title: 'd',
      n: 1,
      big: 2,
      ratio: 0.5,
      flags: [],
      nested: { deep: {}, kind: 'a' },
      'odd key': '',
    })
    expect(await fx.doc({ id: 1 }).exists()).toBe(true)
    await fx.packed({ id: 1 }).set({
      title: 'p',
      n: 1,
      big: 2,
      ratio: 0.5,
      flags: [],
      nested: { deep: {}, kind: 'b' },
      'odd key': '',
    })
    expect(await fx.hits({ page: 1 }).incr()).toBe(1)
    await fx.hits({ page: 1 }).set(5)
    const profile = fx.profile({ uid: 1 })
    await profile.hset({ name: 'a', visits: 1, vip: true, class: 'c' })
    expect(await profile.hincrBy('visits', 1)).toBe(2)
    expect(await profile.get()).toMatchObject({ visits: 2 })
    expect(await profile.hmget('name', 'class')).toEqual({ name: 'a', class: 'c' })
    expect(await profile.hexists('vip')).toBe(true)
    expect(await profile.len()).toBe(4)
    expect(await profile.hdel('class')).toBe(1)
    for await (const _ of profile.scan()) break
    const prices = fx.prices({ uid: 1 })
    await prices.hset({ a: 5, b: 1 })
    expect(await prices.hget('a')).toBe(5)
    await fx.packedHash({ id: 1 }).hset({
      x: { title: 'x', n: 1, big: 2, ratio: 1, flags: [], nested: { deep: {}, kind: 'a' }, 'odd key': '' },
    })
    expect(await fx.packedHash({ id: 1 }).get()).toMatchObject({ x: { title: 'x' } })
    await fx.sess({ sid: 1 }).hset({ k: 'v' })
    expect(await fx.sess({ sid: 1 }).hget('k')).toBe('v')
    const feed = fx.feed({ uid: 1 })
    await feed.push({ kind: 'click', at: 1 }, { kind: 'view', at: 2 })
    await feed.unshift({ kind: 'view', at: 0 })
    expect(await feed.range(0, -1)).toHaveLength(3)
    expect(await feed.pop()).toEqual({ kind: 'view', at: 2 })
    expect(await feed.shift()).toEqual({ kind: 'view', at: 0 })
    expect(await feed.len()).toBe(1)
    await fx.jobs({ q: 1 }).push('a')
    expect(await fx.jobs({ q: 1 }).range(0, 9)).toEqual(['a'])
    const tags = fx.tags({ id: 1 })
    await tags.add('x', 'y')
    expect(await tags.isMember('x')).toBe(true)
    expect((await tags.members()).sort()).toEqual(['x', 'y'])
    expect(await tags.remove('y')).toBe(1)
    expect(await tags.card()).toBe(1)
    await fx.ids({ id: 1 }).add(1, 2)
    for await (const _ of fx.ids({ id: 1 }).scan()) break
    const board = fx.board({ game: 1 })
    await board.add({ member: 'a', score: 1 }, { member: 'b', score: 2 })
    expect(await board.incr('a', 5)).toBe(6)
    expect(await board.score('a')).toBe(6)
    expect(await board.rank('a', { reverse: true })).toBe(0)
    expect(await board.range(0, 9, { reverse: true })).toHaveLength(2)
    expect(await board.rangeByScore(0, 10, { count: 5, reverse: true })).toHaveLength(2)
    expect(await board.remove('b')).toBe(1)
    expect(await board.card()).toBe(1)
    for await (const _ of board.scan()) break
    const events = fx.events({ day: 1 })
    await events.add({ kind: 'click', at: 1 })
    expect(await events.len()).toBe(1)
    expect(await events.range({ reverse: true, count: 5 })).toHaveLength(1)
    const uv = fx.uv({ site: 's', day: 1 })
    await uv.add('a')
    await fx.uv({ site: 's', day: 2 }).add('b')
    await uv.merge(fx.uv({ site: 's', day: 2 }))
    expect(await uv.count()).toBe(2)
    expect(await fx.active({ day: 1 }).setBit(3, 1)).toBe(0)
    expect(await fx.active({ day: 1 }).getBit(3)).toBe(1)
    expect(await fx.active({ day: 1 }).count()).toBe(1)
    await fx.keywords({ from: 'a', class: 'b', self: 'c' }).set('k')
    await fx.config().set({ currency: 'EUR', limits: [1] })
    expect(await fx.config().ttl()).toBe('persistent')
    expect(await fx.text({ id: 1 }).delete()).toBe(true)
    expect(await move.run(as('app'), { from: prices.key, to: prices.key }, { field: 'a', amount: 1 })).toBe(5)
  })

  it('every user is refused KEYS, FLUSHALL, CONFIG, DEBUG and keys outside its entries — directly and inside EVAL', async () => {
    for (const user of USERS) {
      const outcomes = {
        keys: await refusal(() => raw(user, ['KEYS', '*'])),
        flushall: await refusal(() => raw(user, ['FLUSHALL', 'ASYNC'])),
        flushdb: await refusal(() => raw(user, ['FLUSHDB', 'ASYNC'])),
        configSet: await refusal(() => raw(user, ['CONFIG', 'SET', 'maxmemory', '1'])),
        debug: await refusal(() => raw(user, ['DEBUG', 'SLEEP', '0'])),
        readOutside: await refusal(() => raw(user, ['GET', 'other:key'])),
        writeOutside: await refusal(() => raw(user, ['SET', 'other:key', 'x'])),
        evalKeys: await refusal(() => raw(user, ['EVAL', "return redis.call('KEYS', '*')", 0])),
        evalFlushall: await refusal(() => raw(user, ['EVAL', "return redis.call('FLUSHALL')", 0])),
        evalOtherKey: await refusal(() => raw(user, ['EVAL', "return redis.call('GET', 'other:key')", 0])),
      }
      const script = user === 'auditor' ? 'NOPERM' : 'NOPERM (in the script)'
      expect(outcomes, user).toEqual({
        keys: 'NOPERM',
        flushall: 'NOPERM',
        flushdb: 'NOPERM',
        configSet: 'NOPERM',
        debug: 'NOPERM',
        readOutside: 'NOPERM',
        writeOutside: 'NOPERM',
        evalKeys: script,
        evalFlushall: script,
        evalOtherKey: script,
      })
    }
    // The server is intact.
    expect(await admin.call(['DBSIZE'])).toBeGreaterThan(10)
  })

  it('web: reads where it may read, writes where it may write, its script on its keys, its channel only', async () => {
    const fx = bindKeyspace(as('web'), every)
    const appFx = bindKeyspace(as('app'), every)
    await appFx
      .doc({ id: 'w' })
      .set({ title: 'w', n: 1, big: 1, ratio: 1, flags: [], nested: { deep: {}, kind: 'a' }, 'odd key': '' })
    expect(await fx.doc({ id: 'w' }).get()).toMatchObject({ title: 'w' })
    expect(
      await refusal(() =>
        fx.doc({ id: 'w' }).set({
          title: 'x',
          n: 1,
          big: 1,
          ratio: 1,
          flags: [],
          nested: { deep: {}, kind: 'a' },
          'odd key': '',
        }),
      ),
    ).toBe('NOPERM')
    expect(await refusal(() => fx.doc({ id: 'w' }).delete())).toBe('NOPERM')
    // A sliding entry's read extends the TTL: web reads fx.sess, PEXPIRE included.
    await appFx.sess({ sid: 'w' }).hset({ k: 'v' })
    expect(await fx.sess({ sid: 'w' }).hget('k')).toBe('v')
    expect(await refusal(() => fx.sess({ sid: 'w' }).hset({ k: 'x' }))).toBe('NOPERM')
    await fx.profile({ uid: 'w' }).hset({ name: 'w', visits: 1 })
    expect(await fx.profile({ uid: 'w' }).hincrBy('visits', 2)).toBe(3)
    expect(await refusal(() => fx.hits({ page: 'w' }).incr())).toBe('NOPERM')
    const prices = fx.prices({ uid: 'w' })
    await prices.hset({ a: 3 })
    expect(await move.run(as('web'), { from: prices.key, to: prices.key }, { field: 'a', amount: 1 })).toBe(3)
    // The script on keys outside web's entries: refused at EVALSHA (its KEYS are checked).
    const other = bindKeyspace(as('app'), every).hits({ page: 'w' }).key
    expect(
      await refusal(() => move.run(as('web'), { from: other, to: other }, { field: 'a', amount: 1 })),
    ).toBe('NOPERM')
    expect(await raw('web', ['PUBLISH', 'fx:news', 'hello'])).toBe(0)
    expect(await refusal(() => raw('web', ['PUBLISH', 'other', 'hello']))).toBe('NOPERM')
    expect(await refusal(() => raw('web', ['SCAN', '0', 'COUNT', '10']))).toBe('NOPERM')
  })

  it('producer: write-only — blind writes with %W~ pass, reads are refused; a TTL write is a script and needs ~', async () => {
    const fx = bindKeyspace(as('producer'), every)
    expect(await fx.jobs({ q: 'p' }).push('job')).toBe(1)
    expect(await refusal(() => fx.jobs({ q: 'p' }).range(0, 9))).toBe('NOPERM')
    expect(await fx.text({ id: 'p' }).set('x')).toBe(true)
    expect(await refusal(() => fx.text({ id: 'p' }).get())).toBe('NOPERM')
    expect(await fx.events({ day: 'p' }).add({ kind: 'view', at: 1 })).toMatch(/^\d+-\d+$/)
    expect(await refusal(() => fx.events({ day: 'p' }).range({ count: 5 }))).toBe('NOPERM')
    const rules = String(await admin.call(['ACL', 'GETUSER', 'producer']).then((r) => JSON.stringify(r)))
    expect(rules).toContain('%W~fx:jobs:*')
    expect(rules).toContain('%W~fx:text:*')
    expect(rules).toContain('~fx:events:*')
  })

  it('auditor: the audit runs as it; it writes nothing and reads no configuration', async () => {
    const report = await audit(as('auditor'))
    expect(report.scanned.keys).toBeGreaterThan(10)
    expect(report.scanned.unavailable).toEqual([])
    // It reads every key's metadata, never a value.
    expect(await raw('auditor', ['TYPE', 'other:key'])).toBe('none')
    expect(await refusal(() => raw('auditor', ['GET', 'fx:text:1']))).toBe('NOPERM')
    expect(await refusal(() => raw('auditor', ['SET', 'fx:text:a', 'x']))).toBe('NOPERM')
    expect(await refusal(() => raw('auditor', ['CONFIG', 'GET', 'requirepass']))).toBe('NOPERM')
    expect(await refusal(() => raw('auditor', ['ACL', 'LIST']))).toBe('NOPERM')
    // It may ask which scripts are cached (lua-scripts leaves out the declared ones): nothing is missing.
    expect(await raw('auditor', ['SCRIPT', 'EXISTS', '0'.repeat(40)])).toEqual([0])
    expect(report.findings.filter((f) => f.rule === 'audit-access')).toEqual([])
  })

  it('the generated Python module runs as app: single writes (the write script), a typed pipeline, a script, asyncio', async () => {
    const generated = await generateFixture()
    const url = server.url.replace('redis://', 'redis://app:pw-app@')
    const program = `
import asyncio, json, sys
sys.path.insert(0, ${JSON.stringify(generated.dir)})
import redis, redis.asyncio
import fx_keys as fx
r = redis.Redis.from_url(${JSON.stringify(url)})
ks = fx.Fx(r)
ks.profile(uid="py").hset({"name": "p", "visits": 1})
out = {"visits": ks.profile(uid="py").hincr_by("visits", 2), "doc": ks.text(id="py").set("x")}
pipe = ks.pipeline()
a = pipe.prices(uid="py").hset({"a": 5})
b = pipe.profile(uid="py").hget("name")
pipe.execute()
out["pipeline"] = [a.value, b.value]
out["script"] = fx.MovePriceScript(r)(from_=fx.FxPrices.key(uid="py"), to=fx.FxPrices.key(uid="py"), field="a", amount=1)
async def run():
    ar = redis.asyncio.Redis.from_url(${JSON.stringify(url)})
    value = await fx.AsyncFx(ar).feed(uid="py").push({"kind": "view", "at": 1})
    await ar.close()
    return value
out["async"] = asyncio.run(run())
try:
    r.execute_command("KEYS", "*")
except redis.exceptions.NoPermissionError as exc:
    out["keys"] = "NOPERM"
print(json.dumps(out))
`
    const out = JSON.parse(
      await python(['-c', program]).finally(() => rmSync(generated.dir, { recursive: true, force: true })),
    ) as Record<string, unknown>
    expect(out).toEqual({ visits: 3, doc: true, pipeline: [1, 'p'], script: 5, async: 1, keys: 'NOPERM' })
  }, 60_000)

  it('ACL DRYRUN checks only the declared KEYS of a script: one reaching another key passes it, and fails when run', async () => {
    const script = "return redis.call('GET', 'other:key')"
    expect(await admin.call(['ACL', 'DRYRUN', 'app', 'EVAL', script, '0'])).toBe('OK')
    expect(await refusal(() => raw('app', ['EVAL', script, 0]))).toBe('NOPERM (in the script)')
  })
})
