/**
 * The cache tour, part of `npm start`: a hit and a miss, a 1000-caller stampede that loads
 * once, stale-if-error, a tag invalidation, and what the cache says about itself.
 */
import type { RedisExpertClient } from 'redis-expert'
import { cacheStatusHeader, createCache } from 'redis-expert/cache'
import type { defineShop, Product } from './shop/keys.js'

/** The shop keyspace of this run (quickstart.ts gives each run its own namespace). */
export type Shop = ReturnType<typeof defineShop<string>>

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** The "catalogue service": slow, and sometimes down. */
let catalogueDown = false
let catalogueCalls = 0
async function fetchProduct(id: string): Promise<Product | null> {
  catalogueCalls++
  await sleep(50)
  if (catalogueDown) throw new Error('catalogue service unavailable')
  return id === 'missing' ? null : { id, name: `Product ${id}`, priceCents: 1999, tags: ['demo'] }
}

export async function cacheTour(db: RedisExpertClient, shop: Shop): Promise<void> {
  const products = await createCache(db, shop.product, {
    ttl: '1s',
    grace: '1h',
    softTimeoutMs: 100,
    negativeTtl: '10s',
  })
  const load = (ctx: { params: { readonly id: string | number | bigint } }) =>
    fetchProduct(String(ctx.params.id))

  console.log('\n## Look-aside: a miss, then a hit\n')
  for (let i = 0; i < 2; i++) {
    const { meta } = await products.getOrSet({ id: '42' }, load, { meta: true })
    console.log(`getOrSet(42): ${meta.status.padEnd(4)}  Cache-Status: ${cacheStatusHeader(meta)}`)
  }

  console.log('\n## A stampede: 1000 concurrent callers of a cold key\n')
  catalogueCalls = 0
  const started = Date.now()
  await Promise.all(Array.from({ length: 1000 }, () => products.getOrSet({ id: '7' }, load)))
  console.log(
    `1000 callers answered in ${Date.now() - started} ms; the catalogue was called ${catalogueCalls} time(s)`,
  )

  console.log('\n## Not found is cached too (negative caching)\n')
  catalogueCalls = 0
  for (let i = 0; i < 3; i++) await products.getOrSet({ id: 'missing' }, load)
  console.log(`3 lookups of a missing product: ${catalogueCalls} catalogue call(s)`)

  console.log('\n## Stale-if-error: the catalogue goes down after the value expired\n')
  await sleep(1100)
  catalogueDown = true
  const { value, meta } = await products.getOrSet({ id: '42' }, load, { meta: true })
  console.log(
    `getOrSet(42): ${meta.status}, "${value?.name}", expired ${-meta.ttlMs} ms ago — served instead of an error`,
  )
  catalogueDown = false

  console.log('\n## Tags: one call invalidates every entry carrying a tag\n')
  for (const id of ['a', 'b', 'c']) await products.getOrSet({ id }, load, { tags: ['category:7'], grace: 0 })
  await products.invalidateTags(['category:7'])
  const after = await products.getOrSet({ id: 'a' }, load, { tags: ['category:7'], meta: true })
  console.log(`after invalidateTags(['category:7']): getOrSet(a) is a ${after.meta.status}`)

  console.log('\n## What the cache counted\n')
  const { warnings, ...counters } = products.stats()
  console.log(counters)
  for (const warning of warnings) console.log(`warning: ${warning}`)
  await products.close()
}
