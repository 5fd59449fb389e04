import { describe, expect, it } from 'vitest'
import { FlagGroup } from '../../src/audit/accumulate.js'
import { quotas } from '../../src/audit/audit.js'
import { applyFirst, initialState, nextRound, scannedKey } from '../../src/audit/inspect.js'
import {
  parseCount,
  parseFailOn,
  parseFormat,
  parseMemorySamples,
  parseRate,
  parseSample,
} from '../../src/audit/options.js'
import { escapeHtml, mdCode, scriptJson } from '../../src/audit/render/escape.js'
import { suggestLimit } from '../../src/audit/rules/encoding.js'
import { estimateHashSaving, listpackEntryBytes } from '../../src/audit/rules/hash-candidate.js'
import { LogSketch, TopKeys } from '../../src/audit/sketch.js'
import { DEFAULT_THRESHOLDS, parseThresholdArgs, resolveThresholds } from '../../src/audit/thresholds.js'
import { TokenBucket } from '../../src/audit/token-bucket.js'
import { RedisExpertError } from '../../src/errors.js'
import { DEFAULT_LISTPACK_LIMITS } from '../../src/keyspace/encoding.js'

function invalid(run: () => unknown, option: string): void {
  let error: unknown
  try {
    run()
  } catch (e) {
    error = e
  }
  expect(error).toBeInstanceOf(RedisExpertError)
  expect((error as RedisExpertError).code).toBe('INVALID_ARGUMENT')
  expect((error as RedisExpertError).details.option ?? (error as RedisExpertError).details.threshold).toBe(
    option,
  )
}

describe('options', () => {
  it('accepts whole numbers in range, as strings or numbers', () => {
    expect(parseRate('5000')).toBe(5000)
    expect(parseRate(10)).toBe(10)
    expect(parseSample('1')).toBe(1)
    expect(parseCount('100000')).toBe(100_000)
    expect(parseMemorySamples('0')).toBe(0)
    expect(parseFormat('html')).toBe('html')
    expect(parseFailOn('medium')).toBe('medium')
  })

  it('refuses the rest with INVALID_ARGUMENT naming the option', () => {
    for (const bad of ['0', '9', '-5', '1.5', 'fast', '', '1e4', Number.NaN])
      invalid(() => parseRate(bad), '--rate')
    for (const bad of ['0', '-1', 'all', '2.5']) invalid(() => parseSample(bad), '--sample')
    for (const bad of ['0', '100001']) invalid(() => parseCount(bad), '--count')
    invalid(() => parseMemorySamples('-1'), '--memory-samples')
    for (const bad of ['pdf', 'JSON', '', undefined]) invalid(() => parseFormat(bad), '--format')
    for (const bad of ['info', 'critical']) invalid(() => parseFailOn(bad), '--fail-on')
  })

  it('thresholds: kebab-case overrides, unknown names and bad values refused', () => {
    expect(parseThresholdArgs(['big-hash-fields=10000', 'fragmentation-ratio=1.5'])).toEqual({
      bigHashFields: 10_000,
      fragmentationRatio: 1.5,
    })
    expect(resolveThresholds({ bigHashFields: 10_000 })).toEqual({
      ...DEFAULT_THRESHOLDS,
      bigHashFields: 10_000,
    })
    invalid(() => parseThresholdArgs(['big-hash=1']), '--threshold')
    invalid(() => parseThresholdArgs(['big-hash-fields=0']), '--threshold')
    invalid(() => resolveThresholds({ nope: 1 }), 'nope')
  })
})

describe('TokenBucket', () => {
  it('lets a tenth of a second of credit through, then paces at the rate', () => {
    let now = 0
    const bucket = new TokenBucket(1000, () => now)
    expect(bucket.reserve(100)).toBe(0)
    // The next 500 commands overdraw by 500: half a second to wait.
    expect(bucket.reserve(500)).toBe(500)
    now = 500
    expect(bucket.reserve(100)).toBe(100)
    // A long idle pause does not buy more than the capacity.
    now = 10_000
    expect(bucket.reserve(100)).toBe(0)
    expect(bucket.reserve(1)).toBe(1)
  })
})

describe('sketches', () => {
  it('quantiles within 2 %, exact min and max, mergeable', () => {
    const a = new LogSketch()
    const b = new LogSketch()
    for (let i = 1; i <= 10_000; i++) (i % 2 ? a : b).add(i)
    a.merge(b)
    expect(a.count).toBe(10_000)
    expect(a.min).toBe(1)
    expect(a.max).toBe(10_000)
    expect(Math.abs((a.quantile(0.5) as number) - 5000) / 5000).toBeLessThan(0.02)
    expect(Math.abs((a.quantile(0.99) as number) - 9900) / 9900).toBeLessThan(0.02)
    expect(new LogSketch().quantile(0.5)).toBeNull()
    const zeros = new LogSketch()
    zeros.add(0)
    zeros.add(0)
    zeros.add(5)
    expect(zeros.quantile(0.5)).toBe(0)
  })

  it('keeps the n largest keys', () => {
    const top = new TopKeys(3)
    for (const bytes of [5, 1, 9, 7, 3, 9])
      top.add({ key: `k${bytes}`, type: 'string', bytes, size: null, encoding: null })
    expect(top.keys.map((k) => k.bytes)).toEqual([9, 9, 7])
  })
})

describe('hash-candidate estimate', () => {
  it('sizes listpack entries as Redis does', () => {
    expect(listpackEntryBytes(5)).toBe(7)
    expect(listpackEntryBytes(63)).toBe(65)
    expect(listpackEntryBytes(64)).toBe(67)
    expect(listpackEntryBytes(200)).toBe(204)
  })

  it('estimates a saving for small values, none past the listpack value limit', () => {
    const small = new FlagGroup()
    for (let i = 0; i < 1000; i++)
      small.add({
        key: `visits:${i}`,
        node: 0,
        type: 'string',
        ttlMs: -1,
        bytes: 56,
        encoding: 'int',
        size: 3,
      })
    const saving = estimateHashSaving(small, 'visits:', DEFAULT_LISTPACK_LIMITS)
    expect(saving?.buckets).toBe(10)
    expect(saving?.saving).toBeGreaterThan(56_000 * 0.6)
    const big = new FlagGroup()
    big.add({ key: 'x:1', node: 0, type: 'string', ttlMs: -1, bytes: 150, encoding: 'raw', size: 100 })
    expect(estimateHashSaving(big, 'x:', DEFAULT_LISTPACK_LIMITS)).toBeNull()
  })

  it('suggests round limits', () => {
    expect(suggestLimit(129)).toBe(192)
    expect(suggestLimit(140)).toBe(192)
    expect(suggestLimit(256)).toBe(256)
    expect(suggestLimit(1500)).toBe(1536)
  })
})

describe('scan planning', () => {
  it('spreads --sample over masters by their size', () => {
    expect(quotas(null, [10, 20])).toEqual([null, null])
    expect(quotas(300, [100, 200, 0])).toEqual([100, 200, 0])
    expect(quotas(10, [0, 0])).toEqual([10, 10])
  })

  it('asks TYPE only where the encoding leaves the type open, and sizes after', () => {
    const states = ['s', 'h', 'z', 'gone', 'mod'].map((k) => initialState(scannedKey(Buffer.from(k))))
    const caps = { memory: true, encoding: true }
    applyFirst(
      states,
      [-1, 60, 'embstr', 5000, 900, 'listpack', -1, 2000, 'skiplist', -2, null, null, -1, 80, 'raw'],
      caps,
    )
    const round2 = nextRound(states)
    expect(round2?.commands).toEqual([
      ['STRLEN', 's'],
      ['TYPE', 'h'],
      ['ZCARD', 'z'],
      ['STRLEN', 'mod'],
    ])
    // `mod` is a module value: STRLEN fails (null), so TYPE is asked next.
    round2?.apply([3, 'hash', 200, null])
    const round3 = nextRound(states)
    expect(round3?.commands).toEqual([
      ['HLEN', 'h'],
      ['TYPE', 'mod'],
    ])
    round3?.apply([12, 'ReJSON-RL'])
    expect(nextRound(states)).toBeNull()
    expect(states.map((s) => [s.type, s.size, s.vanished])).toEqual([
      ['string', 3, false],
      ['hash', 12, false],
      ['zset', 200, false],
      [null, null, true],
      ['ReJSON-RL', null, false],
    ])
  })

  it('prints binary keys with escapes and sends their bytes', () => {
    expect(scannedKey(Buffer.from('user:1'))).toEqual({ text: 'user:1', wire: 'user:1' })
    expect(scannedKey(Buffer.from('café:1'))).toEqual({ text: 'café:1', wire: 'café:1' })
    const binary = Buffer.from([0x6b, 0xff, 0x00, 0x5c])
    expect(scannedKey(binary)).toEqual({ text: 'k\\xff\\x00\\x5c', wire: binary })
  })
})

describe('escaping', () => {
  it('HTML, JSON in a script element, Markdown', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;')
    expect(scriptJson({ k: '</script><!--' })).toBe('{"k":"\\u003c/script\\u003e\\u003c!--"}')
    expect(mdCode('a|b')).toBe('`a\\|b`')
    expect(mdCode('x`y')).toBe('``x`y``')
  })
})
