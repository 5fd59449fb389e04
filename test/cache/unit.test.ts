import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseBusMessage, Waiters } from '../../src/cache/bus.js'
import { decodeEnvelope, encodeEnvelope, stampOf, tagsOfStamp } from '../../src/cache/envelope.js'
import { keyBuilder } from '../../src/cache/key-builder.js'
import { NearCache } from '../../src/cache/l1.js'
import { normalizeTags, resolveCacheOptions } from '../../src/cache/options.js'
import { shouldRefreshEarly } from '../../src/cache/refresh.js'
import { tagOfSlot } from '../../src/cache/slot-tag.js'
import { json, msgpack } from '../../src/codec/index.js'
import { keySlot } from '../../src/common/index.js'
import { shop } from './fixtures/shop.js'

/* Pure logic of the cache, no server. */

describe('slot tags', () => {
  it('every slot has a short tag that hashes to it', () => {
    for (let slot = 0; slot < 16384; slot++) {
      const tag = tagOfSlot(slot)
      expect(tag.length).toBeLessThanOrEqual(4)
      if (keySlot(tag) !== slot) throw new Error(`slot ${slot}: ${tag}`)
    }
  })
})

describe('envelope', () => {
  const fields = { freshUntil: 2000, createdAt: 1000, loadMs: 12.4, negative: false, stamp: 'a=1,b=0' }

  it('round-trips text and binary codecs, and negatives', () => {
    const value = { id: 'x', list: [1, 2], text: 'line\nbreak|pipe' }
    const text = encodeEnvelope(json, fields, value)
    expect(String(text).startsWith('~1|2000|1000|12||a=1,b=0\n')).toBe(true)
    expect(decodeEnvelope(json, text, 'k')).toEqual({ ...fields, loadMs: 12, value })
    const binary = encodeEnvelope(msgpack, fields, value)
    expect(Buffer.isBuffer(binary)).toBe(true)
    expect(decodeEnvelope(msgpack, binary, 'k').value).toEqual(value)
    const negative = encodeEnvelope(json, { ...fields, negative: true }, undefined)
    expect(decodeEnvelope(json, negative, 'k')).toMatchObject({ negative: true, value: undefined })
  })

  it('reads a value without header as plain, fresh while it exists', () => {
    expect(decodeEnvelope(json, '{"a":1}', 'k')).toMatchObject({
      value: { a: 1 },
      freshUntil: Infinity,
      stamp: '',
    })
  })

  it('names the key when the payload does not decode', () => {
    expect(() => decodeEnvelope(json, '~1|1|1|1||\n{nope', 'shop:product:1')).toThrow(
      expect.objectContaining({
        code: 'DECODE_FAILED',
        details: expect.objectContaining({ key: 'shop:product:1' }),
      }),
    )
  })

  it('stamps tags with their versions', () => {
    const tags = normalizeTags(['category:7', 'brand=x', 'category:7'])
    expect(tags).toEqual(['brand%3Dx', 'category%3A7'])
    const stamp = stampOf(tags, new Map([['category%3A7', '3']]))
    expect(stamp).toBe('brand%3Dx=0,category%3A7=3')
    expect(tagsOfStamp(stamp)).toEqual(tags)
  })
})

describe('early refresh', () => {
  const policy = { beta: 1, ratio: null }
  it('never before expiry is near, always within two load times, more often as expiry nears', () => {
    const rate = (left: number) => {
      let yes = 0
      for (let i = 0; i < 2000; i++)
        if (shouldRefreshEarly(policy, 10_000 - left, 0, 10_000, 100, Math.random)) yes++
      return yes / 2000
    }
    expect(rate(5000)).toBe(0)
    expect(rate(150)).toBe(1)
    expect(rate(300)).toBeGreaterThan(rate(500))
    expect(rate(500)).toBeGreaterThan(0)
    expect(shouldRefreshEarly(policy, 10_001, 0, 10_000, 100, Math.random)).toBe(false)
    expect(shouldRefreshEarly({ beta: 0, ratio: 0.8 }, 8_000, 0, 10_000, 1, Math.random)).toBe(true)
    expect(shouldRefreshEarly({ beta: 0, ratio: 0.8 }, 7_000, 0, 10_000, 1, Math.random)).toBe(false)
  })
})

describe('channel messages and waiters', () => {
  it('parses messages whose key contains the separator', () => {
    expect(parseBusMessage('s|abc.1|shop|a:b')).toEqual({ kind: 's', origin: 'abc.1', payload: 'shop|a:b' })
    expect(parseBusMessage('x|a|b')).toBeNull()
    expect(parseBusMessage('s')).toBeNull()
  })

  it('a waiter notified before it waits resolves at once; others time out', async () => {
    const waiters = new Waiters()
    const early = waiters.register('k')
    const late = waiters.register('other')
    waiters.wake('k')
    expect(await early.wait(1000)).toBe(true)
    expect(await late.wait(10)).toBe(false)
    expect(waiters.size).toBe(0)
  })
})

describe('L1', () => {
  const entry = (until: number, tags: string[] = []) => ({
    value: 1,
    negative: false,
    freshUntil: until,
    createdAt: 0,
    loadMs: 0,
    until,
    tags,
  })

  it('refuses to keep a read that an invalidation overtook', () => {
    const l1 = new NearCache<number>(10)
    l1.setEnabled(true)
    const ticket = l1.ticket()
    l1.invalidate('k')
    l1.store('k', entry(100), ticket)
    expect(l1.get('k', 0)).toBeUndefined()
    l1.store('k', entry(100), l1.ticket())
    expect(l1.get('k', 0)).toBeDefined()
    expect(l1.get('k', 100)).toBeUndefined()
  })

  it('drops tagged entries, and serves nothing while the channel is down', () => {
    const l1 = new NearCache<number>(10)
    l1.setEnabled(true)
    l1.store('a', entry(100, ['t1']), l1.ticket())
    l1.store('b', entry(100, ['t2']), l1.ticket())
    expect(l1.invalidateTags(['t1'])).toBe(1)
    expect(l1.get('a', 0)).toBeUndefined()
    l1.setEnabled(false)
    expect(l1.get('b', 0)).toBeUndefined()
    expect(l1.fallback('b')).toBeDefined()
    l1.setEnabled(true)
    expect(l1.fallback('b')).toBeUndefined()
  })
})

describe('options', () => {
  it('takes TTL and jitter from the declaration unless overridden', () => {
    const resolved = resolveCacheOptions(shop.product.policy)
    expect(resolved).toMatchObject({ ttlMs: 600_000, jitter: 0.1, graceMs: 0, negativeTtlMs: 60_000 })
    expect(resolveCacheOptions(shop.product.policy, { ttl: '1m', jitter: 0, grace: '1h' })).toMatchObject({
      ttlMs: 60_000,
      jitter: 0,
      graceMs: 3_600_000,
    })
  })
})

describe('key builder', () => {
  it('builds exactly the keys (and errors) of the entry itself', () => {
    const build = keyBuilder(shop.product)
    const interned = keyBuilder(shop.product, 3)
    const general = (params: unknown) => (shop.product.key as (p: unknown) => string)(params)
    const outcome = (fn: () => string) => {
      try {
        return fn()
      } catch (error) {
        return `error ${(error as { code?: string }).code}`
      }
    }
    fc.assert(
      fc.property(
        fc.oneof(
          fc.record({
            id: fc.oneof(fc.string(), fc.integer(), fc.double(), fc.constantFrom('', '0', '-0', 'a b')),
          }),
          fc.record({ id: fc.string(), extra: fc.string() }),
          fc.constantFrom(null, undefined, 'id', [], {}, Object.create({ id: 'inherited' })),
        ),
        (params) => {
          expect(outcome(() => build(params))).toBe(outcome(() => general(params)))
          expect(outcome(() => interned(params))).toBe(outcome(() => general(params)))
        },
      ),
      { numRuns: 2000 },
    )
    expect(build({ id: 42 })).toBe('shop:product:42')
    expect(build({ id: -0 })).toBe('shop:product:0')
  })
})
