import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { crc16, formatTtl, jitteredTtl, keySlot, parseTtl } from '../../src/common/index.js'

describe('keySlot', () => {
  it('matches the CRC16 of the Redis Cluster specification', () => {
    // The specification's test vector: CRC16-XMODEM("123456789") = 0x31C3.
    expect(crc16(Buffer.from('123456789'))).toBe(0x31c3)
    // Values from CLUSTER KEYSLOT on a real server (also checked live in the Cluster test).
    expect(keySlot('foo')).toBe(12182)
    expect(keySlot('bar')).toBe(5061)
    expect(keySlot('')).toBe(0)
  })

  it('hashes only the first non-empty {tag}', () => {
    expect(keySlot('{user1000}.following')).toBe(keySlot('{user1000}.followers'))
    expect(keySlot('{user1000}.following')).toBe(keySlot('user1000'))
    expect(keySlot('foo{}{bar}')).toBe(keySlot('foo{}{bar}'))
    expect(keySlot('foo{}{bar}')).not.toBe(keySlot('bar'))
    expect(keySlot('foo{{bar}}zap')).toBe(keySlot('{bar'))
    expect(keySlot('foo{bar}{zap}')).toBe(keySlot('bar'))
    expect(keySlot('a{b')).toBe(keySlot('a{b'))
  })

  it('is always in 0..16383 and hashes strings as UTF-8', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (key) => {
        const slot = keySlot(key)
        expect(slot).toBeGreaterThanOrEqual(0)
        expect(slot).toBeLessThan(16384)
        expect(keySlot(Buffer.from(key, 'utf8'))).toBe(slot)
      }),
    )
  })
})

describe('TTL', () => {
  it('parses units, milliseconds and persistent', () => {
    expect(parseTtl('10m', 'e')).toBe(600_000)
    expect(parseTtl('30d', 'e')).toBe(2_592_000_000)
    expect(parseTtl('1.5h', 'e')).toBe(5_400_000)
    expect(parseTtl('250ms', 'e')).toBe(250)
    expect(parseTtl(1234, 'e')).toBe(1234)
    expect(parseTtl('persistent', 'e')).toBeNull()
    for (const bad of [
      '',
      '10',
      '10 m',
      '1y',
      '-1s',
      '0s',
      '0.5ms',
      0,
      -1,
      1.5,
      Number.NaN,
      '1e3s',
      null,
      {},
    ]) {
      expect(() => parseTtl(bad, 'e'), String(bad)).toThrow(
        expect.objectContaining({ code: 'KEYSPACE_INVALID' }),
      )
    }
  })

  it('formats with the largest exact unit', () => {
    expect(formatTtl(600_000)).toBe('10m')
    expect(formatTtl(2_592_000_000)).toBe('30d')
    expect(formatTtl(1_209_600_000)).toBe('14d')
    expect(formatTtl(1500)).toBe('1500ms')
    expect(formatTtl(null)).toBe('persistent')
  })

  it('jitters uniformly within ttl·(1 ± jitter)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 ** 10 }),
        fc.double({ min: 0, max: 0.5, noNaN: true }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (ttl, jitter, u) => {
          const value = jitteredTtl(ttl, jitter, () => u)
          expect(value).toBeGreaterThanOrEqual(Math.max(1, Math.floor(ttl * (1 - jitter))))
          expect(value).toBeLessThanOrEqual(Math.ceil(ttl * (1 + jitter)))
        },
      ),
    )
    expect(jitteredTtl(1000, 0.1, () => 0)).toBe(900)
    expect(jitteredTtl(1000, 0.1, () => 0.5)).toBe(1000)
    expect(jitteredTtl(1000, 0.1, () => 0.999999)).toBe(1100)
    expect(jitteredTtl(1000, 0, () => 0)).toBe(1000)
  })
})
