import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { classifyToken, digitsKind, inferParts, inferPattern, looksRandom } from '../../src/audit/infer.js'

/** E-mail addresses as applications store them (the full RFC 5322 alphabet is not what keys hold). */
const emails = fc
  .tuple(
    fc.stringMatching(/^[a-z0-9][a-z0-9._+-]{0,15}$/),
    fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,10}$/),
    fc.constantFrom('com', 'io', 'co.uk', 'example'),
  )
  .map(([local, domain, tld]) => `${local}@${domain}.${tld}`)

describe('inferPattern', () => {
  it.each([
    // Numbers
    ['user:1234:profile', 'user:<id>:profile'],
    ['user:98:profile', 'user:<id>:profile'],
    ['order:-17', 'order:<id>'],
    ['price:19.99', 'price:<num>'],
    ['cart:{123}', 'cart:{<id>}'],
    ['queue/jobs/42/state', 'queue/jobs/<id>/state'],
    ['bull:email:42', 'bull:email:<id>'],
    ['order98765', 'order<id>'],
    ['page_17', 'page_<id>'],
    // UUIDs, hex ids, tokens
    ['session:550e8400-e29b-41d4-a716-446655440000', 'session:<uuid>'],
    ['session:550E8400-E29B-41D4-A716-446655440000:data', 'session:<uuid>:data'],
    ['job-550e8400-e29b-41d4-a716-446655440000', 'job-<uuid>'],
    ['obj:5f3a9c2b1d4e6f70a1b2c3d4', 'obj:<hex>'],
    ['sha:da39a3ee5e6b4b0d3255bfef95601890afd80709', 'sha:<hex>'],
    ['sess:Xk3_a9-LmQ2pZ0rT8wYb', 'sess:<token>'],
    ['api:V1StGXR8_Z5jdHi6B-myT', 'api:<token>'],
    ['ulid:01ARZ3NDEKTSV4RRFFQ69G5FAV', 'ulid:<token>'],
    ['sess:k3j9d8f7g6h5q2w1', 'sess:<token>'],
    // Dates and times
    ['events:2024-01-15', 'events:<date>'],
    ['events:2024-01-15:count', 'events:<date>:count'],
    ['stats:2024-01', 'stats:<date>'],
    ['stats:20240115', 'stats:<date>'],
    ['logs/2024/01/15/app', 'logs/<date>/app'],
    ['report-2024-01-15.csv', 'report-<date>.csv'],
    ['events:2024-01-15T10:20:30Z:count', 'events:<ts>:count'],
    ['events:2024-01-15T10:20:30.123+02:00', 'events:<ts>'],
    ['tick:1700000000', 'tick:<ts>'],
    ['tick:1700000000123', 'tick:<ts>'],
    // E-mails (also escaped by the keyspace as %40) and addresses
    ['user:alice@example.com:prefs', 'user:<email>:prefs'],
    ['user:first.last+tag@mail.example.co.uk', 'user:<email>'],
    ['shop:user:alice%40example.com', 'shop:user:<email>'],
    ['rate:10.0.0.1:minute', 'rate:<ip>:minute'],
    // Literal text stays literal
    ['config', 'config'],
    ['leaderboard:weekly', 'leaderboard:weekly'],
    ['user_profile_settings_v2', 'user_profile_settings_v2'],
    ['getUserByIdV2Cache', 'getUserByIdV2Cache'],
    ['cache:en-US:home', 'cache:en-US:home'],
    ['host:api.example.com', 'host:api.example.com'],
    ['', ''],
    [':', ':'],
  ])('%s → %s', (key, pattern) => {
    expect(inferPattern(key)).toBe(pattern)
  })

  it('does not take a value glued to other text for a date', () => {
    expect(inferPattern('x2024-01-15')).toBe('x2024-<id>-<id>')
  })

  it('keeps every delimiter in place', () => {
    const parts = inferParts('a:1/b|2#c')
    expect(parts.map((p) => p.delimiter)).toEqual([':', '/', '|', '#', ''])
    expect(parts.map((p) => p.kind)).toEqual([null, 'id', null, 'id', null])
  })

  it('leaves keys holding private-use characters alone rather than misreading them', () => {
    expect(inferPattern('a\ue000b:1')).toBe('a\ue000b:<id>')
  })

  it('is total: any string yields a pattern with no more parts than the key has characters', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (key) => {
        const pattern = inferPattern(key)
        expect(typeof pattern).toBe('string')
        expect(inferParts(key).length).toBeLessThanOrEqual(key.length + 1)
      }),
    )
  })

  it('maps keys that differ only in their ids to one pattern', () => {
    fc.assert(
      fc.property(fc.nat(), fc.uuid(), emails, (id, uuid, email) => {
        // One key alone may read as a date or a Unix time; the tree merges the numeric kinds.
        expect(inferPattern(`user:${id}:profile`)).toMatch(/^user:<(id|date|ts)>:profile$/)
        expect(inferPattern(`session:${uuid}`)).toBe('session:<uuid>')
        expect(inferPattern(`user:${email}`)).toMatch(/^user:<email>$/)
      }),
      { numRuns: 300 },
    )
  })

  it('recognises random tokens of the usual alphabets', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-'
    const token = fc
      .array(fc.constantFrom(...alphabet), { minLength: 21, maxLength: 32 })
      .map((c) => c.join(''))
    let recognised = 0
    fc.assert(
      fc.property(token, (t) => {
        if (inferPattern(`sess:${t}`) === 'sess:<token>') recognised++
      }),
      { numRuns: 500, seed: 42 },
    )
    // The rare miss (a run of one class) is caught by the tree's cardinality guard.
    expect(recognised).toBeGreaterThan(480)
  })
})

describe('token classification', () => {
  it('reads 8 digits as a date only when they form one', () => {
    expect(digitsKind('20240115')).toBe('date')
    expect(digitsKind('20241315')).toBe('id')
    expect(digitsKind('12345678')).toBe('id')
  })

  it('reads 10 and 13 digits as Unix times only in 2001-2100', () => {
    expect(digitsKind('1700000000')).toBe('ts')
    expect(digitsKind('0700000000')).toBe('id')
    expect(digitsKind('9999999999')).toBe('id')
    expect(digitsKind('1700000000000')).toBe('ts')
  })

  it('tells words from random strings', () => {
    for (const word of [
      'configuration',
      'userProfileSettings',
      'getUserByIdV2Cache',
      'order_items_2024',
      'deadbeefcafe',
    ])
      expect(looksRandom(word), word).toBe(false)
    for (const random of ['Xk3a9LmQ2pZ0rT8w', 'k3j9d8f7g6h5q2w1', 'XkQmLpZrTwYbNcVdRe'])
      expect(looksRandom(random), random).toBe(true)
  })

  it('requires digits and letters for a hex id', () => {
    expect(classifyToken('deadbeefcafe')).toBeNull()
    expect(classifyToken('deadbeef12')).toBe('hex')
    expect(classifyToken('DEADBEEF12')).toBe('hex')
    expect(classifyToken('DeadBeef12')).toBeNull()
    expect(classifyToken('abc123')).toBeNull()
  })
})
