import { rmSync } from 'node:fs'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { keySlot } from '../../../src/common/index.js'
import { RedisExpertError } from '../../../src/errors.js'
import { type Entry, encodeParam } from '../../../src/keyspace/index.js'
import { every } from './fixtures/every.js'
import { ask, type Generated, generateFixture } from './helpers.js'

/**
 * The generated Python builds and parses keys byte for byte as TypeScript does: fast-check
 * generates hostile parameters and key texts, and each batch is answered by one Python process
 * running the generated module (fixtures/harness.py), then compared with TypeScript's answers.
 */

let generated: Generated
beforeAll(async () => {
  generated = await generateFixture()
}, 60_000)
afterAll(() => rmSync(generated.dir, { recursive: true, force: true }))

type Tagged =
  | { t: 'str'; v: string }
  | { t: 'int'; v: string }
  | { t: 'float'; v: number }
  | { t: 'bool'; v: boolean }

/** A parameter value as TypeScript takes it, and as the harness hands it to Python. */
interface Param {
  readonly ts: unknown
  readonly py: Tagged
}

const surrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c))
const hostileChar = fc.constantFrom(
  ...[':', '{', '}', '*', '?', '[', ']', '\\', '%', ' ', '\t', '\n', '\r', '\0', '\x7f', '/', '#', '=', '@'],
  ...['é', 'ß', '日', '😀', '\u2028', '\ufeff', '~', '-', '.', '_', 'A', 'z', '0', '%41', '%2F', '%zz'],
)
const hostileString = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.string({ unit: 'grapheme' }),
  fc.array(fc.oneof(hostileChar, surrogate), { maxLength: 12 }).map((chars) => chars.join('')),
  fc.constantFrom('', '%', '%%', '-0', '0', ' ', 'null', '__proto__'),
)
const param: fc.Arbitrary<Param> = fc.oneof(
  { weight: 6, arbitrary: hostileString.map((s): Param => ({ ts: s, py: { t: 'str', v: s } })) },
  {
    weight: 2,
    arbitrary: fc.maxSafeInteger().map((n): Param => ({ ts: n, py: { t: 'int', v: String(n) } })),
  },
  {
    weight: 1,
    arbitrary: fc
      .bigInt({ min: -(2n ** 80n), max: 2n ** 80n })
      .map((n): Param => ({ ts: n, py: { t: 'int', v: String(n) } })),
  },
  // Python has no unsafe integer number: a JavaScript number that is not a safe integer is a float to it.
  {
    weight: 1,
    arbitrary: fc
      .double({ noNaN: true })
      .filter((x) => !Number.isSafeInteger(x) && Number.isFinite(x))
      .map((x): Param => ({ ts: x, py: { t: 'float', v: x } })),
  },
  { weight: 1, arbitrary: fc.boolean().map((b): Param => ({ ts: b, py: { t: 'bool', v: b } })) },
)

const entries: Record<string, Entry> = {
  FxText: (every as unknown as Record<string, Entry>).text!,
  FxUv: (every as unknown as Record<string, Entry>).uv!,
  FxKeywords: (every as unknown as Record<string, Entry>).keywords!,
  FxConfig: (every as unknown as Record<string, Entry>).config!,
}

function tsBuild(entry: Entry, params: Record<string, unknown>): { key: string } | { error: string } {
  try {
    return { key: (entry.key as (p: unknown) => string)(params) }
  } catch (error) {
    if (error instanceof RedisExpertError) return { error: error.code }
    throw error
  }
}

describe('keys: TypeScript and the generated Python agree on hostile input', () => {
  it('key() of 1500 generated parameter sets: same key or the same refusal, same slot, parse both ways', async () => {
    const cases = fc.sample(fc.tuple(fc.constantFrom('FxText', 'FxUv', 'FxKeywords'), param, param, param), {
      numRuns: 1500,
      seed: 14,
    })
    const ops = cases.map(([cls, a, b, c]) => {
      const names = entries[cls]!.policy.pattern.params
      const values = [a, b, c]
      return { op: 'build', cls, params: Object.fromEntries(names.map((n, i) => [n, values[i]!.py])) }
    })
    const built = await ask<{ key?: string; error?: string }>(generated.dir, 'fx_keys', ops)
    const expected = cases.map(([cls, a, b, c]) => {
      const names = entries[cls]!.policy.pattern.params
      const values = [a, b, c]
      return tsBuild(entries[cls]!, Object.fromEntries(names.map((n, i) => [n, values[i]!.ts])))
    })
    let refused = 0
    for (let i = 0; i < cases.length; i++) {
      if (!('key' in expected[i]!)) refused++
      expect(built[i], `case ${i}: ${JSON.stringify(ops[i])}`).toEqual(expected[i])
    }
    // Both kinds of outcome were exercised.
    expect(refused).toBeGreaterThan(50)
    expect(refused).toBeLessThan(cases.length - 500)

    const keys = expected.flatMap((e, i) => ('key' in e ? [{ cls: cases[i]![0], key: e.key }] : []))
    const answers = await ask<{ params?: Record<string, string> | null; slot?: number }>(
      generated.dir,
      'fx_keys',
      [
        ...keys.map(({ cls, key }) => ({ op: 'parse', cls, key })),
        ...keys.map(({ key }) => ({ op: 'slot', key })),
      ],
    )
    keys.forEach(({ cls, key }, i) => {
      const tsParams = entries[cls]!.tryParse(key)
      expect(tsParams).not.toBeNull()
      expect(answers[i]!.params, key).toEqual({ ...tsParams })
      expect(answers[keys.length + i]!.slot, key).toBe(keySlot(key))
    })
  })

  it('parse() of generated key texts: the same parameters, or the same refusal (strict decoding)', async () => {
    const piece = fc.oneof(
      fc.constantFrom('%', '%%', '%4', '%41', '%2F', '%2f', '%C3%A9', '%c3%a9', '%C3', '%C0%AF', '%ED%A0%80'),
      fc.constantFrom('%F0%9F%98%80', '%EF%BB%BF', '%00', '%7F', '%FF', 'a', 'Z', '0', '-', '.', '_', '~'),
      fc.constantFrom(' ', '*', 'é', '日', '😀', '\0', '+', '{', '}'),
      fc.stringMatching(/^[A-Za-z0-9%._~-]{0,6}$/),
    )
    const segment = fc.array(piece, { maxLength: 5 }).map((parts) => parts.join(''))
    const texts = fc.sample(
      fc.oneof(
        fc.tuple(segment).map(([a]) => ({ cls: 'FxText', key: `fx:text:${a}` })),
        fc.tuple(segment, segment).map(([a, b]) => ({ cls: 'FxUv', key: `fx:uv:{${a}}:${b}` })),
        fc
          .tuple(segment, segment, segment)
          .map(([a, b, c]) => ({ cls: 'FxKeywords', key: `fx:kw:${a}:${b}:${c}` })),
        fc.string({ unit: 'binary', maxLength: 20 }).map((s) => ({ cls: 'FxText', key: s })),
        fc.constantFrom({ cls: 'FxConfig', key: 'fx:config' }, { cls: 'FxConfig', key: 'fx:config:' }),
      ),
      { numRuns: 2000, seed: 1414 },
    )
    const answers = await ask<{ params: Record<string, string> | null }>(
      generated.dir,
      'fx_keys',
      texts.map((t) => ({ op: 'parse', ...t })),
    )
    let parsed = 0
    texts.forEach(({ cls, key }, i) => {
      const tsParams = entries[cls]!.tryParse(key)
      if (tsParams) parsed++
      expect(answers[i]!.params, JSON.stringify(key)).toEqual(tsParams === null ? null : { ...tsParams })
    })
    expect(parsed).toBeGreaterThan(200)
    expect(parsed).toBeLessThan(texts.length - 200)
  })

  it('refuses what TypeScript refuses, by name: lower-case hex, escaped unreserved bytes, bool', async () => {
    const answers = await ask<{ params?: unknown; key?: string; error?: string }>(generated.dir, 'fx_keys', [
      { op: 'parse', cls: 'FxText', key: 'fx:text:%c3%a9' },
      { op: 'parse', cls: 'FxText', key: 'fx:text:%41' },
      { op: 'parse', cls: 'FxText', key: 'fx:text:%' },
      { op: 'parse', cls: 'FxText', key: 'fx:text:' },
      { op: 'parse', cls: 'FxText', key: 'fx:text:%C3%A9' },
      { op: 'build', cls: 'FxText', params: { id: { t: 'bool', v: true } } },
      { op: 'build', cls: 'FxText', params: { id: { t: 'str', v: '' } } },
      { op: 'build', cls: 'FxText', params: { nope: { t: 'str', v: 'x' } } },
      { op: 'build', cls: 'FxText', params: {} },
      { op: 'build', cls: 'FxUv', params: { site: { t: 'str', v: '{a}' }, day: { t: 'int', v: '-0' } } },
    ])
    expect(answers.map((a) => ('params' in a ? a.params : (a.key ?? a.error)))).toEqual([
      null,
      null,
      { id: '' },
      null,
      { id: 'é' },
      'KEY_PARAM_INVALID',
      'fx:text:%',
      'KEY_PARAM_INVALID',
      'KEY_PARAM_INVALID',
      'fx:uv:{%7Ba%7D}:0',
    ])
    expect((entries.FxUv!.key as (p: unknown) => string)({ site: '{a}', day: -0 })).toBe('fx:uv:{%7Ba%7D}:0')
  })

  it("matches urllib.parse.quote(s, safe='') on every non-empty string tried — checked, not assumed", async () => {
    const strings = fc
      .sample(hostileString, { numRuns: 1500, seed: 7 })
      .filter((s) => s !== '' && !/[\uD800-\uDFFF]/.test(s.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, '')))
    const answers = await ask<{ quoted?: string }>(
      generated.dir,
      'fx_keys',
      strings.map((text) => ({ op: 'quote', text })),
    )
    strings.forEach((s, i) => {
      expect(answers[i]!.quoted, JSON.stringify(s)).toBe(encodeParam(s))
    })
    // ... except the empty string, which quote() leaves empty and the keyspace writes as '%'.
    expect(
      (await ask<{ quoted: string }>(generated.dir, 'fx_keys', [{ op: 'quote', text: '' }]))[0]!.quoted,
    ).toBe('')
    expect(encodeParam('')).toBe('%')
  })
})
