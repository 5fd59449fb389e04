import { startRedis } from '../../src/testing/index.js'
import { connect, defineKeyspace, t } from '../../src/index.js'
import { createCache } from '../../src/cache/index.js'
import { LRUCache } from 'lru-cache'
const bench = defineKeyspace('bench', { item: { pattern: 'item:<id>', type: t.json<unknown>(), role: 'cache', ttl: '10m' } })
const server = await startRedis()
const db = await connect({ url: server.url })
const cache = await createCache(db, bench.item, { l1: { maxItems: 20000 } })
const value = { description: 'x'.repeat(900) }
for (let i = 0; i < 10000; i++) await cache.getOrSet({ id: i }, () => value)
const lru = new LRUCache<string, object>({ max: 20000 }); for (let i = 0; i < 10000; i++) lru.set(`bench:item:${i}`, { value })
async function drive(name: string, fn: (id: number) => unknown, total = 2_000_000) {
  for (let rep = 0; rep < 3; rep++) {
    let left = total
    const t0 = performance.now()
    await Promise.all(Array.from({ length: 100 }, async () => { while (left-- > 0) { await fn((Math.random() * 10000) | 0); if ((left & 1023) === 0) await new Promise((r) => setImmediate(r)) } }))
    console.log(name, Math.round(total / ((performance.now() - t0) / 1000)))
  }
}
const map = new Map<string, object>(); for (let i = 0; i < 10000; i++) map.set(`bench:item:${i}`, { value })
const keys = Array.from({length: 10000}, (_, i) => `bench:item:${i}`)
await drive('map get', (id) => Promise.resolve(map.get(`bench:item:${id}`)))
await drive('lru get prebuilt key', (id) => Promise.resolve(lru.get(keys[id]!)))
await drive('noop', (id) => Promise.resolve(id))
await drive('lru get', (id) => Promise.resolve(lru.get(`bench:item:${id}`)))
await drive('key only', (id) => Promise.resolve(cache.key({ id })))
await drive('L1 getOrSet', (id) => cache.getOrSet({ id }, () => value))
await db.close(); await server.stop()
