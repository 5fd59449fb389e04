/**
 * npm start — the quickstart. Connects to REDIS_URL, or starts an ephemeral redis-server
 * through the toolkit's own launcher, shows what the toolkit sees, and stops it again.
 */
import { connect } from 'redis-expert'
import { startRedis } from 'redis-expert/testing'

const external = process.env.REDIS_URL
const server = external ? null : await startRedis()
const url = external ?? (server as NonNullable<typeof server>).url

console.log(
  external ? `Connecting to ${url}` : `Started an ephemeral redis-server at ${url} (dir ${server?.dir})`,
)
const db = await connect({ url })
try {
  const probe = await db.probe()
  const aof = probe.persistence.aof
    ? `AOF on (appendfsync ${probe.persistence.appendfsync ?? 'unknown'})`
    : 'AOF off'
  console.log(`\n## The server\n`)
  console.log(`Redis ${probe.version}, ${probe.mode}, ${probe.masters.length} master(s)`)
  console.log(
    `Persistence: ${aof}; RDB rules: ${probe.persistence.rdbSaveRules.map((r) => r.join('s/')).join(', ') || 'none'}`,
  )
  console.log(`Memory: maxmemory ${probe.maxmemory || 'unlimited'}, policy ${probe.maxmemoryPolicy}`)
  console.log(
    `Compact encodings while: hashes ≤ ${probe.listpack.hashEntries} fields of ≤ ${probe.listpack.hashValue} B, sorted sets ≤ ${probe.listpack.zsetEntries} members`,
  )
  console.log(
    `Modules: ${probe.modules.map((m) => m.name).join(', ') || 'none'}; CONFIG readable: ${probe.configReadable}`,
  )
  if (!probe.persistence.aof)
    console.log(
      '\nNote: with AOF off, nothing written here survives a restart: fine for caches, not for a source of truth.',
    )
} finally {
  await db.close()
  await server?.stop()
}
