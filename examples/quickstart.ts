/**
 * npm start — the quickstart. Connects to REDIS_URL, or starts an ephemeral redis-server
 * through the toolkit's own launcher, shows what the toolkit sees and does, and stops it.
 *
 * Rerunnable against the same server: every key it writes carries this run's id (`qs1f2e3d`, in
 * the shop's namespace and in every structure's, queue's and stream's name), so it never meets a
 * previous run's keys — nor an application's — and the keys are removed at the end.
 */
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { connect, isGuardError, type RedisExpertClient, RedisExpertError, renderSchema } from 'redis-expert'
import { audit, renderReport } from 'redis-expert/audit'
import { generateAcl, generatePython, setUserCommands } from 'redis-expert/report'
import { startRedis } from 'redis-expert/testing'
import { cacheTour } from './cache-tour.js'
import { messagingTour } from './messaging-tour.js'
import { defineShop, shop as staticShop } from './shop/keys.js'
import { structuresTour } from './structures-tour.js'

const run = `qs${randomBytes(3).toString('hex')}`
const shop = defineShop(`${run}:shop`)

const external = process.env.REDIS_URL
const server = external ? null : await startRedis()
const url = external ?? (server as NonNullable<typeof server>).url

console.log(external ? `Connecting to ${url}` : `Started an ephemeral redis-server at ${url}`)
const db = await connect({ url, keyspaces: [shop] }).catch(async (error: unknown) => {
  await server?.stop()
  if (!(error instanceof RedisExpertError) || error.code !== 'CONNECTION_FAILED') throw error
  // What a newcomer can do about it, rather than a stack trace.
  console.error(`\n${error.message}`)
  console.error(
    error.details.reason === 'refused'
      ? '  start one (redis-server), or set REDIS_URL to a running server — or unset REDIS_URL: npm start then runs its own'
      : '  check REDIS_URL (host, port, user and password), or unset it: npm start then runs its own',
  )
  process.exit(1)
})
try {
  const probe = await db.probe()
  const { persistence: p, listpack } = probe
  console.log('\n## The server\n')
  console.log(`Redis ${probe.version}, ${probe.mode}, ${probe.masters.length} master(s)`)
  console.log(`Persistence: ${p.aof ? `AOF on (appendfsync ${p.appendfsync ?? 'unknown'})` : 'AOF off'}`)
  console.log(`Memory: maxmemory ${probe.maxmemory || 'unlimited'}, policy ${probe.maxmemoryPolicy}`)
  console.log(`Compact while: hashes ≤ ${listpack.hashEntries} fields of ≤ ${listpack.hashValue} B`)

  console.log(`\nThis run writes its keys under the id ${run} and removes them at the end.`)
  console.log('\n## The keyspace (examples/shop/keys.ts), encodings for this server\n')
  console.log(renderSchema(shop.describe({ limits: listpack, version: probe.version }), 'md'))

  console.log('\n## Typed operations: every write carries its TTL in the same round trip\n')
  const app = db.keyspace(shop)
  const user = app.user({ id: '42' })
  await user.hset({ name: 'Ann', email: 'ann@example.com' })
  console.log(`${user.key}: ${JSON.stringify(await user.get())}, TTL ${await user.ttl()} ms`)
  console.log(`a hostile id is escaped, never a glob or a hash tag: ${shop.user.key({ id: 'x:*{y}' })}`)

  console.log('\n## The hard stops\n')
  for (const command of [
    ['KEYS', `${shop.namespace}:*`],
    ['SET', 'loose', 'v'],
    ['HGETALL', shop.cart.key({ uid: '7' })],
    ['INCRBY', shop.board.key({ game: 'chess' }), '1'],
  ]) {
    try {
      await db.call(command)
      console.log(`${command[0]}: allowed`)
    } catch (error) {
      if (!isGuardError(error)) throw error
      console.log(
        `${command.join(' ')}\n  → ${error.code}: ${error.violation.message}\n    fix: ${error.violation.fix}`,
      )
    }
  }
  let seen = 0
  for await (const _ of db.scan({ match: shop.user.match })) seen++
  console.log(`\ndb.scan({ match: '${shop.user.match}' }) found ${seen} key(s) without KEYS`)

  console.log('\n## The same declaration for Python and for the server: codegen python, acl\n')
  await reportsTour()

  console.log('\n# Caching that does not stampede')
  await cacheTour(db, shop)

  console.log('\n# Real-time structures\n')
  await structuresTour(db, run)

  console.log('\n# Queues and streams\n')
  await messagingTour(db, run)

  // Every keyspace the client knows: the shop's and those the toolkit's features declared (the
  // cache's leases and tags, the queue, the stream, the lock, sessions, the leaderboard...).
  console.log('\n## The audit of this instance, against every declaration of this run\n')
  process.stdout.write(renderReport(await audit(db, { keyspaces: db.keyspaces() }), 'text'))
} finally {
  const removed = await removeRunKeys(db, run).catch(() => null)
  if (removed !== null)
    console.log(`\nRemoved the ${removed} keys this run wrote (every one carries ${run}).`)
  await db.close()
  await server?.stop()
}

/**
 * A few lines of what `npx redis-expert codegen python examples/shop/keys.ts` and `npx
 * redis-expert acl examples/shop/keys.ts --format commands` print for the shop keyspace (its
 * `shop` export), through the same functions (redis-expert/report).
 */
async function reportsTour(): Promise<void> {
  const file = fileURLToPath(new URL('./shop/keys.ts', import.meta.url))
  const { text } = await generatePython({ keyspaces: [staticShop], file, label: 'examples/shop/keys.ts' })
  const lines = text.split('\n')
  const from = (start: RegExp, count: number, pick: RegExp = /./) => {
    const at = lines.findIndex((line) => start.test(line))
    return lines.slice(at, at + count).filter((line) => pick.test(line))
  }
  console.log('shop_keys.py (excerpt):')
  for (const line of [
    ...from(/^# Generated by/, 1),
    ...from(/^class ShopCart:/, 40, /^class |^ {4}(PATTERN|TTL_MS|JITTER):/),
    ...from(/^class ShopCartOps\(/, 40, /^class |^ {4}def (hset|hincr_by|hget)\(/),
  ])
    console.log(`  ${line}`)
  const plan = generateAcl({ keyspaces: [staticShop] })
  console.log('\nACL users (excerpt): commands, never categories; the commands of an entry on its keys only')
  for (const [name, ...rules] of setUserCommands(plan).map((command) => command.slice(2))) {
    const root = rules.filter((rule) => !rule.startsWith('('))
    const selectors = rules.filter((rule) => rule.startsWith('('))
    console.log(`  ACL SETUSER ${name} ${root.join(' ')}`)
    for (const selector of selectors.slice(0, 2)) console.log(`    "${selector}"`)
    if (selectors.length > 2) console.log(`    … ${selectors.length - 2} more selectors`)
  }
}

/** UNLINKs every key carrying the run id: SCAN (every master), in pages of 500. */
async function removeRunKeys(db: RedisExpertClient, id: string): Promise<number> {
  let removed = 0
  let page: string[] = []
  const flush = async () => {
    if (page.length === 0) return
    await db.batch(page.map((key) => ['UNLINK', key]))
    removed += page.length
    page = []
  }
  for await (const key of db.scan({ match: `*${id}*`, count: 1000 })) {
    page.push(key)
    if (page.length === 500) await flush()
  }
  await flush()
  return removed
}
