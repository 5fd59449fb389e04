/**
 * A tour of redis-expert/structures: a rate limiter, a lock with a fencing token, a
 * leaderboard, unique visitors, activity cohorts, a compact map and a session store.
 * Part of `npm start`.
 */
import type { RedisExpertClient } from 'redis-expert'
import {
  createActivity,
  createCompactMap,
  createLeaderboard,
  createLock,
  createRateLimiter,
  createSessionStore,
  createUniqueCounter,
} from 'redis-expert/structures'

/** `run` prefixes every name: each `npm start` writes keys of its own and removes them at the end. */
export async function structuresTour(db: RedisExpertClient, run: string): Promise<void> {
  // A minute, not a second: the bucket's key must outlive the tour, so that the audit at its end
  // finds the same keys every run (a 1 s key expired or not depending on the machine's speed).
  console.log('## Rate limit: 5 per minute, token bucket')
  const limiter = createRateLimiter(db, {
    algorithm: 'token-bucket',
    limit: 5,
    windowMs: 60_000,
    name: `${run}:api`,
  })
  for (let i = 0; i < 7; i++) {
    const d = await limiter.consume('client-42')
    console.log(
      `  request ${i + 1}: ${d.allowed ? 'allowed' : `refused, retry in ${d.retryAfterMs} ms`} (remaining ${d.remaining})`,
    )
  }

  console.log('\n## Lock with a fencing token')
  const locks = createLock(db, { namespace: `${run}:lock` })
  const fence = await locks.withLock('nightly-report', async (lease) => {
    // Hand lease.fence to the store you write to; it refuses anything lower than it has seen.
    return lease.fence
  })
  console.log(`  ran the report holding fencing token ${fence}`)

  console.log('\n## Leaderboard, all-time and weekly')
  const board = createLeaderboard(db, { name: `${run}-board`, periods: ['week'] })
  for (const [player, score] of [
    ['ann', 120],
    ['bo', 95],
    ['cy', 120],
    ['di', 80],
  ] as const)
    await board.submit(player, score)
  for (const entry of await board.top(3)) console.log(`  #${entry.rank} ${entry.member} ${entry.score}`)
  console.log(`  around bo: ${(await board.around('bo', 1)).map((e) => `${e.member}(#${e.rank})`).join(' ')}`)

  console.log('\n## Unique visitors (HyperLogLog, ±0.81%)')
  const visitors = createUniqueCounter(db, { name: `${run}-visitors` })
  await visitors.add(Array.from({ length: 5000 }, (_, i) => `visitor-${i % 4000}`))
  console.log(`  today: ~${await visitors.count()} distinct (exact: 4000)`)

  console.log('\n## Activity cohorts')
  const activity = createActivity(db, { name: `${run}-activity` })
  const today = Date.now()
  const yesterday = today - 86_400_000
  for (const user of ['ann', 'bo', 'cy']) await activity.mark(user, { at: yesterday })
  for (const user of ['bo', 'cy', 'di']) await activity.mark(user, { at: today })
  console.log(
    `  active both days: ${await activity.activeOnAll([yesterday, today])}, either: ${await activity.activeOnAny([yesterday, today])}`,
  )

  console.log('\n## Compact map: 100k items in small hashes')
  const owners = createCompactMap(db, { name: `${run}-owners`, keys: 'integer' })
  await owners.setMany(Array.from({ length: 100_000 }, (_, i) => [i, String(1_000_000 + i)] as const))
  const memory = await owners.memory({ sample: 50 })
  console.log(
    `  owner of 4242: ${await owners.get(4242)}; ${memory.bytesPerItem.toFixed(1)} bytes per item (${Object.keys(memory.encodings).join(', ')})`,
  )

  console.log('\n## Sessions: log out everywhere')
  const sessions = createSessionStore(db, { namespace: `${run}:sess` })
  const cookie = { expires: new Date(Date.now() + 3_600_000).toISOString() }
  await sessions.set('phone', { cookie, userId: 'ann' })
  await sessions.set('laptop', { cookie, userId: 'ann' })
  console.log(`  ann's sessions: ${(await sessions.userSessions('ann')).sort().join(', ')}`)
  const destroyed = await sessions.destroyUserSessions('ann')
  const late = await sessions.set('phone', { cookie, userId: 'ann' }).then(
    () => 'saved',
    (error: { code?: string }) => `refused (${error.code})`,
  )
  console.log(`  destroyed: ${destroyed}; a late save: ${late}`)
}
