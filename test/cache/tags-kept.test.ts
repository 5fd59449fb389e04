import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Cache, createCache } from '../../src/cache/index.js'
import { startRedisForFile } from '../support/redis-fixture.js'
import { product, type ShopProduct, shop } from './fixtures/shop.js'
import { measured } from './helpers.js'

/*
 * Issue 16: cache.set() / writeThrough() without `tags` dropped the entry from its tag groups —
 * after writeThrough of product 42, invalidateTags(['category:7']) still left it readable. A write
 * keeps the entry's tags unless the call names them (`tags: []` drops them, other tags replace).
 */

const { db } = await startRedisForFile({ keyspaces: [shop] })
let products: Cache<ShopProduct>

beforeAll(async () => {
  products = await createCache(db, shop.product, { l1: { maxItems: 100 } })
})
afterAll(async () => {
  await products?.close()
})

async function tagged(id: string, tags: string[]) {
  await products.getOrSet({ id }, () => product(id), { tags })
}

describe('a write without tags keeps the entry in its tag groups', () => {
  it('writeThrough of product 42, then invalidateTags: gone', async () => {
    await tagged('42', ['category:7'])
    await products.writeThrough({ id: '42' }, product('42', { name: 'renamed' }), async () => 'saved')
    expect(await products.get({ id: '42' })).toMatchObject({ name: 'renamed' })
    await products.invalidateTags(['category:7'])
    expect(await products.get({ id: '42' })).toBeUndefined()
  })

  it('set: the same', async () => {
    await tagged('43', ['category:7', 'brand:1'])
    await products.set({ id: '43' }, product('43', { name: 'v2' }))
    await products.invalidateTags(['brand:1'])
    expect(await products.get({ id: '43' })).toBeUndefined()
  })

  it('setMany: the same, item by item', async () => {
    await tagged('m1', ['group:a'])
    await products.setMany([
      { params: { id: 'm1' }, value: product('m1', { name: 'v2' }) },
      { params: { id: 'm2' }, value: product('m2') },
    ])
    await products.invalidateTags(['group:a'])
    expect(await products.get({ id: 'm1' })).toBeUndefined()
    expect(await products.get({ id: 'm2' })).toMatchObject({ id: 'm2' })
  })

  it('the value written carries the tags current now: a tag invalidated before the write does not void it', async () => {
    await tagged('44', ['category:8'])
    await products.invalidateTags(['category:8'])
    await products.set({ id: '44' }, product('44', { name: 'after the invalidation' }))
    expect(await products.get({ id: '44' })).toMatchObject({ name: 'after the invalidation' })
    await products.invalidateTags(['category:8'])
    expect(await products.get({ id: '44' })).toBeUndefined()
  })

  it('tags: [] drops them; other tags replace them', async () => {
    await tagged('45', ['category:9'])
    await products.set({ id: '45' }, product('45'), { tags: [] })
    await products.invalidateTags(['category:9'])
    expect(await products.get({ id: '45' })).toMatchObject({ id: '45' })
    await tagged('46', ['category:9'])
    await products.set({ id: '46' }, product('46'), { tags: ['brand:2'] })
    await products.invalidateTags(['category:9'])
    expect(await products.get({ id: '46' })).toMatchObject({ id: '46' })
    await products.invalidateTags(['brand:2'])
    expect(await products.get({ id: '46' })).toBeUndefined()
  })

  it('round trips: an untagged entry is still one (the script reads the old header itself); a tagged one three', async () => {
    await products.set({ id: 'plain' }, product('plain'))
    const plain = await measured(db, () => products.set({ id: 'plain' }, product('plain')))
    expect(plain.roundTrips).toBe(1)
    await tagged('rt', ['category:1'])
    const kept = await measured(db, () => products.set({ id: 'rt' }, product('rt')))
    // The script finds tags and writes nothing; HMGET reads their versions; the script writes.
    expect(kept.roundTrips).toBe(3)
  })
})
