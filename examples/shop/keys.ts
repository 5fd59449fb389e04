/**
 * The example keyspace of a small shop: `npx tsx src/cli/main.ts schema examples/shop/keys.ts`
 * prints its Key Schema table; add `--decisions` for the decision log.
 */
import { defineKeyspace, t } from 'redis-expert'

export interface Product {
  id: string
  name: string
  priceCents: number
  tags: string[]
}

export interface Config {
  currency: string
  freeShippingCents: number
  features: Record<string, boolean>
}

/**
 * The shop's keyspace under `namespace`. `npm start` gives each run a namespace of its own
 * (`qs1f2e3d:shop`) and removes its keys at the end, so it never meets another run's keys, nor the
 * keys of an application sharing the server.
 */
export function defineShop<const N extends string>(namespace: N) {
  return defineKeyspace(namespace, {
    user: {
      pattern: 'user:<id>',
      type: t.hash<{ name: string; email: string }>(),
      role: 'state',
      ttl: '30d',
      maxItems: 16,
      description: 'profile fields, refreshed on every write',
    },
    product: {
      pattern: 'product:<id>',
      type: t.json<Product>(),
      role: 'cache',
      ttl: '10m',
      jitter: 0.1,
      // Served stale for up to an hour past the TTL while it is refreshed (createCache reads it).
      grace: '1h',
      description: 'look-aside cache of the catalogue service',
    },
    session: {
      pattern: 'session:<sid>',
      type: t.hash(),
      role: 'session',
      ttl: '30m',
      sliding: true,
      maxItems: 32,
    },
    cart: {
      pattern: 'cart:{<uid>}',
      type: t.hash<number>(),
      role: 'state',
      ttl: '7d',
      description: 'sku → quantity',
    },
    board: {
      pattern: 'board:<game>',
      type: t.zset(),
      role: 'state',
      durability: 'source-of-truth',
      ttl: 'persistent',
    },
    visitors: { pattern: 'uv:<day>', type: t.hll(), role: 'analytics', ttl: '400d' },
    config: { pattern: 'config', type: t.json<Config>(), role: 'reference', ttl: 'persistent' },
  })
}

export const shop = defineShop('shop')
