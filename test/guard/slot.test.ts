import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { crc16, keySlot } from '../../src/guard/index.js'

/** Bit-by-bit CRC16-XMODEM, the textbook definition, to check the table-driven one against. */
function referenceCrc16(bytes: Uint8Array): number {
  let crc = 0
  for (const byte of bytes) {
    crc ^= byte << 8
    for (let bit = 0; bit < 8; bit++)
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff
  }
  return crc
}

function referenceSlot(key: string): number {
  const bytes = Buffer.from(key, 'utf8')
  const open = bytes.indexOf(0x7b)
  const close = open < 0 ? -1 : bytes.indexOf(0x7d, open + 1)
  const hashed = close > open + 1 ? bytes.subarray(open + 1, close) : bytes
  return referenceCrc16(hashed) % 16384
}

describe('keySlot', () => {
  it('matches the known vectors', () => {
    expect(crc16(Buffer.from('123456789'))).toBe(0x31c3)
    expect(crc16(Buffer.from('123456789'))).toBe(12739)
    expect(keySlot('foo')).toBe(12182)
    expect(keySlot('bar')).toBe(5061)
    expect(keySlot('')).toBe(0)
    expect(keySlot('{user1000}.following')).toBe(keySlot('{user1000}.followers'))
    expect(keySlot('{user1000}.following')).toBe(keySlot('user1000'))
  })

  it('follows the hash tag rules: first {, first } after it, non-empty', () => {
    expect(keySlot('foo{}{bar}')).toBe(keySlot('foo{}{bar}')) // empty tag: whole key hashed
    expect(keySlot('foo{}{bar}')).not.toBe(keySlot('bar'))
    expect(keySlot('foo{{bar}}zap')).toBe(keySlot('{bar'))
    expect(keySlot('foo{bar}{zap}')).toBe(keySlot('bar'))
    expect(keySlot('{a')).toBe(referenceSlot('{a'))
  })

  it('hashes strings as UTF-8, like the server', () => {
    expect(keySlot('clé:{ünï}:x')).toBe(keySlot(Buffer.from('ünï')))
    expect(keySlot('日本')).toBe(referenceSlot('日本'))
  })

  it('agrees with the reference for any key, as string or bytes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (key) => {
        const expected = referenceSlot(key)
        expect(keySlot(key)).toBe(expected)
        expect(keySlot(Buffer.from(key, 'utf8'))).toBe(expected)
      }),
      { numRuns: 2000 },
    )
    fc.assert(
      fc.property(
        fc.constantFrom('{', '}', 'a', 'b', ':'),
        fc.array(fc.constantFrom('{', '}', 'a', 'b', ':')),
        (c, cs) => {
          const key = c + cs.join('')
          expect(keySlot(key)).toBe(referenceSlot(key))
        },
      ),
      { numRuns: 2000 },
    )
  })
})
