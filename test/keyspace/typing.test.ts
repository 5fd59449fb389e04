import { describe, expect, expectTypeOf, it } from 'vitest'
import { shop } from '../../examples/shop/keys.js'
import type { Executor } from '../../src/common/types.js'
import { defineKeyspace, t } from '../../src/keyspace/index.js'
import { bindKeyspace } from '../../src/ops/index.js'

/*
 * Type-level checks. `tsc --noEmit` (npm run check) compiles them, `@ts-expect-error` lines
 * included; the functions are never called, since the operations would need a server.
 */

declare const executor: Executor

function keyTypes() {
  expectTypeOf(shop.user.key).parameters.toEqualTypeOf<[params: { readonly id: string | number | bigint }]>()
  expectTypeOf(shop.config.key).parameters.toEqualTypeOf<[]>()
  expectTypeOf(shop.user.parse).returns.toEqualTypeOf<{ readonly id: string }>()
  // @ts-expect-error missing parameter
  shop.user.key({})
  // @ts-expect-error unknown parameter
  shop.user.key({ id: '1', other: '2' })
  // @ts-expect-error no parameters
  shop.config.key({ id: '1' })
}

function operationTypes() {
  const app = bindKeyspace(executor, shop)
  const user = app.user({ id: '42' })
  expectTypeOf(user.hget('name')).toEqualTypeOf<Promise<string | null>>()
  expectTypeOf(user.get).toBeFunction() // bounded by maxItems: 16
  // @ts-expect-error not a field of the user hash
  user.hget('nope')
  const cart = app.cart({ uid: '7' })
  expectTypeOf(cart.hincrBy).parameter(0).toEqualTypeOf<string>()
  // @ts-expect-error cart has no maxItems: no whole read
  cart.get()
  const product = app.product({ id: 'p1' })
  expectTypeOf(product.get()).resolves.toMatchTypeOf<{ name: string; priceCents: number } | null>()
  // @ts-expect-error a product is not a string
  product.set('x')
  expectTypeOf(app.config().get()).resolves.toMatchTypeOf<{ currency: string } | null>()
  expectTypeOf(app.visitors({ day: '2024-01-01' }).add).parameters.toEqualTypeOf<string[]>()
  expectTypeOf(app.board({ game: 'g' }).add).parameters.toEqualTypeOf<
    { readonly member: string; readonly score: number }[]
  >()
}

function boundTypes() {
  const ks = defineKeyspace('types', {
    events: { pattern: 'events:<id>', type: t.stream<{ kind: string }>(), role: 'queue', ttl: 'persistent' },
    recent: { pattern: 'recent:<id>', type: t.stream(), role: 'queue', ttl: 'persistent', maxItems: 100 },
    scores: { pattern: 'scores', type: t.zset<string>(), role: 'index', ttl: 'persistent' },
    ids: { pattern: 'ids', type: t.set({ integers: true }), role: 'index', ttl: 'persistent', maxItems: 10 },
    tags: { pattern: 'tags', type: t.set(), role: 'index', ttl: 'persistent' },
  })
  const app = bindKeyspace(executor, ks)
  const events = app.events({ id: '1' })
  // @ts-expect-error count is required without maxItems
  events.range({})
  events.range({ count: 10 })
  app.recent({ id: '1' }).range({})
  // @ts-expect-error count is required without maxItems
  app.scores().rangeByScore(0, 1)
  app.scores().rangeByScore(0, 1, { count: 5 })
  expectTypeOf(app.ids().members()).toEqualTypeOf<Promise<number[]>>()
  // @ts-expect-error an unbounded set has no members()
  app.tags().members()
  expectTypeOf(events.add).parameter(0).toEqualTypeOf<{ kind: string }>()
}

describe('types flow from the declaration to the operations', () => {
  it('is checked by tsc', () => {
    expect([keyTypes, operationTypes, boundTypes].every((f) => typeof f === 'function')).toBe(true)
  })
})
