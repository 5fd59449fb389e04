import { RedisExpertError } from '../errors.js'
import { decodeParam, encodeParam, isUnreserved, paramInvalid, paramText } from './escape.js'

/**
 * Key patterns: `user:<id>`, `cart:{<uid>}`, `config`.
 *
 * A pattern is a sequence of segments separated by delimiter characters. A segment is either
 * literal text made of unreserved characters (`A-Z a-z 0-9 - . _ ~`, possibly empty) or exactly
 * one parameter `<name>`. Because an escaped parameter never contains a delimiter (see
 * escape.ts), splitting any built key at its delimiters yields the pattern's segments back, in
 * place: parsing is a split, and deciding whether two patterns overlap is a segment-by-segment
 * comparison (overlap.ts). That is why a parameter must fill a whole segment: in `v<id>` or
 * `<a>-<b>` the boundary between literal text and parameter would be ambiguous.
 *
 * `{` and `}` are delimiters too and mean what they mean to Redis: the first `{...}` is the hash
 * tag, so every key with the same tag value lands in the same Cluster slot.
 */

/** Characters that separate segments. None is a glob metacharacter or an escaped-parameter character. */
export const DELIMITERS = ':/#=@,|;+!$&{}'

export type Segment =
  | { readonly kind: 'literal'; readonly text: string }
  | { readonly kind: 'param'; readonly name: string }

export interface ParsedPattern {
  /** The full pattern, namespace included: `shop:cart:{<uid>}`. */
  readonly full: string
  /** Segments between delimiters; `delimiters[i]` follows `segments[i]`. */
  readonly segments: readonly Segment[]
  readonly delimiters: string
  /** Parameter names in order of appearance. */
  readonly params: readonly string[]
  /** The hash tag's content as written in the pattern (`<uid>`), or null without a tag. */
  readonly tag: string | null
  /** Glob for SCAN MATCH: every parameter becomes `*` (a superset: filter with `parse`). */
  readonly match: string
}

const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

function invalid(message: string, details: Record<string, unknown>): RedisExpertError {
  return new RedisExpertError('KEYSPACE_INVALID', message, { details })
}

function isDelimiter(char: string): boolean {
  return DELIMITERS.includes(char)
}

/** Validates a namespace: literal segments and delimiters, no parameters, no braces. */
export function validateNamespace(namespace: unknown): string {
  if (typeof namespace !== 'string' || namespace === '') {
    throw invalid('the keyspace namespace must be a non-empty string', { namespace })
  }
  for (const char of namespace) {
    if (char === '{' || char === '}' || char === '<' || char === '>' || !isLiteralChar(char)) {
      throw invalid(
        `namespace ${JSON.stringify(namespace)}: ${JSON.stringify(char)} is not allowed; use letters, digits, - . _ ~ and the delimiters :/#=@,|;+!$&`,
        { namespace, char },
      )
    }
  }
  if (isDelimiter(namespace[0]!) || isDelimiter(namespace.at(-1)!)) {
    throw invalid(`namespace ${JSON.stringify(namespace)} must not start or end with a delimiter`, {
      namespace,
    })
  }
  return namespace
}

function isLiteralChar(char: string): boolean {
  return isUnreserved(char) || isDelimiter(char)
}

/** Parses `pattern` (without namespace) into segments; throws KEYSPACE_INVALID when malformed. */
export function parsePattern(namespace: string, pattern: unknown, entry: string): ParsedPattern {
  if (typeof pattern !== 'string' || pattern === '') {
    throw invalid(`entry '${entry}': pattern must be a non-empty string`, { entry, pattern })
  }
  const full = `${namespace}:${pattern}`
  const fail = (reason: string): never => {
    throw invalid(`entry '${entry}': pattern ${JSON.stringify(pattern)} ${reason}`, { entry, pattern })
  }
  // Split into raw segment texts and the delimiters between them.
  const raw: string[] = ['']
  let delimiters = ''
  for (let i = 0; i < full.length; i++) {
    const char = full[i]!
    if (char === '<') {
      const close = full.indexOf('>', i)
      if (close < 0) fail(`has an unclosed '<' at ${i - namespace.length - 1}`)
      const name = full.slice(i + 1, close)
      if (!PARAM_NAME.test(name)) fail(`has an invalid parameter name <${name}> (use letters, digits, _)`)
      raw[raw.length - 1] += full.slice(i, close + 1)
      i = close
    } else if (isDelimiter(char)) {
      delimiters += char
      raw.push('')
    } else if (isUnreserved(char)) {
      raw[raw.length - 1] += char
    } else {
      fail(
        `contains ${JSON.stringify(char)}: literal text may only use letters, digits, - . _ ~, the delimiters :/#=@,|;+!$& and one {hash tag}`,
      )
    }
  }
  const segments = raw.map((text): Segment => {
    if (!text.includes('<')) return { kind: 'literal', text }
    const param = /^<([A-Za-z_][A-Za-z0-9_]*)>$/.exec(text)
    if (!param) {
      fail(
        `has ${JSON.stringify(text)}: a parameter must fill a whole segment between delimiters (write 'v:<id>', not 'v<id>')`,
      )
    }
    return { kind: 'param', name: param![1]! }
  })
  const params = segments.flatMap((s) => (s.kind === 'param' ? [s.name] : []))
  const duplicate = params.find((name, index) => params.indexOf(name) !== index)
  if (duplicate !== undefined) fail(`uses the parameter <${duplicate}> twice`)
  return {
    full,
    segments,
    delimiters,
    params,
    tag: findTag(pattern, fail),
    match: globOf(segments, delimiters),
  }
}

/** At most one `{...}` pair, non-empty, not nested; returns its content as written. */
function findTag(pattern: string, fail: (reason: string) => never): string | null {
  const open = pattern.indexOf('{')
  const close = pattern.indexOf('}')
  if (open < 0 && close < 0) return null
  if (open < 0 || close < open) fail("has a '}' without a '{' before it")
  if (pattern.indexOf('{', open + 1) >= 0 || pattern.indexOf('}', close + 1) >= 0) {
    fail('has more than one hash tag; Redis hashes only the first {...}')
  }
  const content = pattern.slice(open + 1, close)
  if (content === '') fail('has an empty hash tag {}; Redis would hash the whole key')
  return content
}

function globOf(segments: readonly Segment[], delimiters: string): string {
  let glob = ''
  segments.forEach((segment, i) => {
    glob += segment.kind === 'param' ? '*' : segment.text
    glob += delimiters[i] ?? ''
  })
  return glob
}

/** Builds a key. Every declared parameter is required; unknown ones are refused (typos). */
export function buildKey(pattern: ParsedPattern, params: unknown): string {
  if (pattern.params.length === 0) {
    if (params !== undefined && !(isPlainObject(params) && Object.keys(params).length === 0)) {
      throw new RedisExpertError('KEY_PARAM_INVALID', `${pattern.full} takes no parameters`, {
        details: { pattern: pattern.full },
      })
    }
    return pattern.full
  }
  if (!isPlainObject(params)) {
    throw new RedisExpertError(
      'KEY_PARAM_INVALID',
      `${pattern.full} needs an object with ${pattern.params.map((p) => `<${p}>`).join(', ')}`,
      { details: { pattern: pattern.full } },
    )
  }
  for (const name of Object.keys(params)) {
    if (!pattern.params.includes(name)) {
      throw paramInvalid(name, `is not a parameter of ${pattern.full}`, params[name])
    }
  }
  let key = ''
  pattern.segments.forEach((segment, i) => {
    key +=
      segment.kind === 'literal'
        ? segment.text
        : encodeParam(
            paramText(segment.name, Object.hasOwn(params, segment.name) ? params[segment.name] : undefined),
          )
    key += pattern.delimiters[i] ?? ''
  })
  return key
}

/** Splits a key at its delimiters: the segments and the delimiter string. */
export function splitKey(key: string): { segments: string[]; delimiters: string } {
  const segments: string[] = ['']
  let delimiters = ''
  for (const char of key) {
    if (isDelimiter(char)) {
      delimiters += char
      segments.push('')
    } else {
      segments[segments.length - 1] += char
    }
  }
  return { segments, delimiters }
}

/** The parameters of `key` if it was built from `pattern`, else null. */
export function matchKey(pattern: ParsedPattern, key: string): Record<string, string> | null {
  if (typeof key !== 'string') return null
  const { segments, delimiters } = splitKey(key)
  if (delimiters !== pattern.delimiters) return null
  const params: Record<string, string> = {}
  for (let i = 0; i < segments.length; i++) {
    const expected = pattern.segments[i]!
    const actual = segments[i]!
    if (expected.kind === 'literal') {
      if (actual !== expected.text) return null
    } else {
      const value = decodeParam(actual)
      if (value === null) return null
      params[expected.name] = value
    }
  }
  return params
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}
