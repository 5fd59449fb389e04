import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { RedisExpertError } from '../../src/errors.js'
import { decodeParam, EMPTY_SENTINEL, encodeParam, paramText } from '../../src/keyspace/escape.js'

/** Strings made of what attackers and unlucky users put in ids. */
const hostile = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        ':',
        '*',
        '?',
        '[',
        ']',
        '{',
        '}',
        '\\',
        '^',
        '%',
        '%25',
        '%3A',
        ' ',
        '\n',
        '\r',
        '\t',
        '\0',
        '\x7f',
      ),
      fc.constantFrom(
        '/',
        '#',
        '=',
        '@',
        ',',
        '|',
        ';',
        '+',
        '!',
        '$',
        '&',
        '<',
        '>',
        '"',
        "'",
        '\uFEFF',
        'é',
        '日本',
        '🙂',
      ),
      fc.string({ unit: 'binary', maxLength: 4 }),
      fc.string({ maxLength: 4 }),
    ),
    { maxLength: 8 },
  )
  .map((parts) => parts.join(''))

const anyParam = fc.oneof(hostile, fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }))

describe('parameter escaping', () => {
  it('round-trips every well-formed string', () => {
    fc.assert(
      fc.property(anyParam, (value) => {
        expect(decodeParam(encodeParam(value))).toBe(value)
      }),
      { numRuns: 2000 },
    )
  })

  it('only ever writes unreserved ASCII and %, never empty', () => {
    fc.assert(
      fc.property(anyParam, (value) => {
        const encoded = encodeParam(value)
        expect(encoded).toMatch(/^[A-Za-z0-9\-._~%]+$/)
        // hence: no delimiter, no glob metacharacter, no brace, no whitespace or control byte
      }),
      { numRuns: 2000 },
    )
  })

  it('is injective: distinct values never share an encoding', () => {
    fc.assert(
      fc.property(anyParam, anyParam, (a, b) => {
        fc.pre(a !== b)
        expect(encodeParam(a)).not.toBe(encodeParam(b))
      }),
      { numRuns: 2000 },
    )
  })

  it('is canonical: any text that decodes is the encoding of what it decodes to', () => {
    const text = fc
      .array(fc.constantFrom('%', 'A', 'a', 'F', 'f', '0', '9', 'C', '3', '-', '.', '_', '~', 'E', '8'), {
        maxLength: 10,
      })
      .map((chars) => chars.join(''))
    fc.assert(
      fc.property(text, (candidate) => {
        const value = decodeParam(candidate)
        if (value !== null) expect(encodeParam(value)).toBe(candidate)
      }),
      { numRuns: 5000 },
    )
  })

  it('examples', () => {
    expect(encodeParam('42')).toBe('42')
    expect(encodeParam('')).toBe(EMPTY_SENTINEL)
    expect(encodeParam('a:b')).toBe('a%3Ab')
    expect(encodeParam('{x}')).toBe('%7Bx%7D')
    expect(encodeParam('*')).toBe('%2A')
    expect(encodeParam('%')).toBe('%25')
    expect(encodeParam('é')).toBe('%C3%A9')
    expect(encodeParam('a b\n')).toBe('a%20b%0A')
    expect(decodeParam('%')).toBe('')
    for (const bad of ['', '%3a', '%41', '%2', '%ZZ', '%C3', '%FF', 'a:b', 'a b', '%%', '%C0%80']) {
      expect(decodeParam(bad), bad).toBeNull()
    }
  })
})

describe('parameter values', () => {
  function code(value: unknown): string | undefined {
    try {
      paramText('id', value)
    } catch (error) {
      return (error as RedisExpertError).code
    }
    return undefined
  }

  it('accepts strings, safe integers and bigints', () => {
    expect(paramText('id', 'x')).toBe('x')
    expect(paramText('id', 42)).toBe('42')
    expect(paramText('id', -7)).toBe('-7')
    expect(paramText('id', -0)).toBe('0')
    expect(paramText('id', 2n ** 70n)).toBe('1180591620717411303424')
  })

  it('refuses what has no stable text: KEY_PARAM_INVALID', () => {
    for (const bad of [
      undefined,
      null,
      true,
      1.5,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      2 ** 53,
      {},
      [],
      Symbol('x'),
      '\uD800',
      'a\uDC00b',
      '\uDBFF',
    ]) {
      expect(code(bad), String(typeof bad === 'symbol' ? 'symbol' : JSON.stringify(bad))).toBe(
        'KEY_PARAM_INVALID',
      )
    }
  })
})
