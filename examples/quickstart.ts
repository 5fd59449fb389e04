/**
 * npm start — the quickstart. Connects to REDIS_URL, or starts an ephemeral redis-server
 * through the toolkit's own launcher, shows what the toolkit sees and does, and stops it.
 */
import { connect, isGuardError, RedisExpertError, renderSchema } from 'redis-expert'
import { audit, renderReport } from 'redis-expert/audit'
import { startRedis } from 'redis-expert/testing'
import { cacheTour } from './cache-tour.js'
import { messagingTour } from './messaging-tour.js'
import { shop } from './shop/keys.js'
import { structuresTour } from './structures-tour.js'

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
    ['KEYS', 'shop:*'],
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

  console.log('\n# Caching that does not stampede')
  await cacheTour(db)

  console.log('\n# Real-time structures\n')
  await structuresTour(db)

  console.log('\n# Queues and streams\n')
  await messagingTour(db)

  console.log('\n## The audit of this instance, against the declaration\n')
  process.stdout.write(renderReport(await audit(db, { keyspaces: [shop] }), 'text'))
} finally {
  await db.close()
  await server?.stop()
}
