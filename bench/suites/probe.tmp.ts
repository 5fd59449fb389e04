import { createClient } from 'redis'
import { startRedis } from '../../src/testing/index.js'
import { connect } from '../../src/index.js'
import { createCache } from '../../src/cache/index.js'
import { defineKeyspace, t } from '../../src/index.js'
const bench = defineKeyspace('bench', { item: { pattern: 'item:<id>', type: t.json<unknown>(), role: 'cache', ttl: '10m' } })
const server = await startRedis()
const raw = createClient({ url: server.url, RESP: 2, commandOptions: { timeout: 0 } }); await raw.connect()
const db = await connect({ url: server.url })
const dboff = await connect({ url: server.url, guard: 'off' })
const cache = await createCache(db, bench.item)
const cacheOff = await createCache(dboff, bench.item, { l1: { maxItems: 20000 } })
const value = { description: 'lorem ipsum dolor sit amet '.repeat(35), tags: ['a', 'b'] }
for (let i = 0; i < 10000; i++) await cache.set({ id: i }, value)
async function drive(name: string, fn: (id: number) => Promise<unknown>) {
  for (let rep = 0; rep < 3; rep++) {
  let left = 50000
  const t0 = performance.now()
  await Promise.all(Array.from({ length: 100 }, async () => { while (left-- > 0) await fn((Math.random() * 10000) | 0) }))
  console.log(name, Math.round(50000 / ((performance.now() - t0) / 1000)))
  }
}
await drive('raw GET+parse', async (id) => { const s = (await raw.get(`bench:item:${id}`)) as string; return JSON.parse(s.slice(s.indexOf('\n') + 1)) })
await drive('db.call GET', async (id) => db.call(['GET', `bench:item:${id}`]))
await drive('db(off).call GET', async (id) => dboff.call(['GET', `bench:item:${id}`]))
await drive('cache.get', async (id) => cache.get({ id }))
await drive('cache.getOrSet', async (id) => cache.getOrSet({ id }, () => value))
for (let i = 0; i < 10000; i++) await cacheOff.getOrSet({ id: i }, () => value)
await drive('L1 getOrSet', async (id) => cacheOff.getOrSet({ id }, () => value))
await raw.close(); await db.close(); await dboff.close(); await server.stop()
