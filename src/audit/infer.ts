/**
 * Pattern inference: the parts of a key that vary from key to key (ids, UUIDs, dates, e-mails,
 * random tokens...) become placeholders, so `user:1234:profile` and `user:98:profile` are both
 * `user:<id>:profile`. Pure; the grouping of keys by pattern (with a cardinality guard for
 * variable parts no rule recognises) is in tree.ts.
 *
 * A key is cut at primary delimiters (`:` `/` `|` `#` `;` `,` `=` `{` `}` and spaces), the
 * separators key designers use between levels. A segment that is one recognisable value as a
 * whole becomes one placeholder; otherwise it is cut again at the secondary delimiters `.` `-`
 * `_`, which often sit *inside* values (e-mails, UUIDs, dates, base64url tokens), and each piece
 * is classified. Values that span delimiters (ISO date-times, UUIDs, e-mails, dotted IPs) are
 * recognised first, over the whole key.
 */

export type Placeholder = 'id' | 'num' | 'uuid' | 'hex' | 'date' | 'ts' | 'email' | 'ip' | 'token' | '*'

/** One `:`-separated part of an inferred key pattern. */
export interface Part {
  /** Literal text, a placeholder such as `<id>`, or both (`order<id>`). */
  readonly text: string
  /** The placeholder when the whole part varies; `mixed` for `order<id>`; null for literal text. */
  readonly kind: Placeholder | 'mixed' | null
  /** The delimiter that follows the part; '' at the end of the key. */
  readonly delimiter: string
  /** For a placeholder: how many characters it replaced (random ids of one generator share a length). */
  readonly length?: number
}

/** Delimiters as a table by character code: cutting runs once per character of every key. */
function table(chars: string): Uint8Array {
  const t = new Uint8Array(128)
  for (const c of chars) t[c.charCodeAt(0)] = 1
  return t
}
const PRIMARY = table(':/|#;,={} \t')
const SECONDARY = table('.-_')

/**
 * Values recognised over the whole key, before it is cut, in priority order. `hint` is a cheap
 * test that must pass before the regular expression runs: most keys hold no such value.
 */
const SPANNING: readonly {
  readonly kind: Placeholder
  readonly source: string
  readonly hint: (key: string) => boolean
}[] = [
  {
    kind: 'ts',
    source: String.raw`\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?`,
    hint: (key) => key.includes('-') && (key.includes('T') || key.includes(' ')),
  },
  {
    kind: 'uuid',
    source: '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}',
    hint: (key) => key.length >= 36 && key.includes('-'),
  },
  // `%40` is how the keyspace escapes '@' in a key parameter.
  {
    kind: 'email',
    source: String.raw`[A-Za-z0-9._+-]+(?:@|%40)[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}`,
    hint: (key) => key.includes('@') || key.includes('%40'),
  },
  {
    kind: 'date',
    source: String.raw`(?:19|20)\d{2}([-/])(?:0[1-9]|1[0-2])(?:\1(?:0[1-9]|[12]\d|3[01]))?`,
    hint: (key) => key.includes('-') || key.includes('/'),
  },
  {
    kind: 'ip',
    source: String.raw`(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)`,
    hint: (key) => key.includes('.'),
  },
]

/** Private-use characters stand for recognised values while the rest of the key is cut. */
const SENTINEL_BASE = 0xe000
const KINDS: readonly Placeholder[] = ['id', 'num', 'uuid', 'hex', 'date', 'ts', 'email', 'ip', 'token', '*']
const sentinel = (kind: Placeholder) => String.fromCharCode(SENTINEL_BASE + KINDS.indexOf(kind))
const sentinelKind = (char: string): Placeholder | undefined => {
  const code = char.charCodeAt(0) - SENTINEL_BASE
  return code >= 0 && code < KINDS.length && char.length === 1 ? KINDS[code] : undefined
}
const HAS_SENTINEL = /[\ue000-\ue0ff]/
const SPANNING_RES = SPANNING.map(({ kind, source, hint }) => ({ kind, hint, re: new RegExp(source, 'g') }))

const isAlnum = (char: string | undefined) => char !== undefined && /[A-Za-z0-9]/.test(char)

/** The key with spanning values replaced by sentinels. */
function markSpanning(key: string): string {
  // Every spanning value has a digit or an '@'; most keys are done with one test.
  if (!/[\d@]/.test(key)) return key
  let marked = key
  for (const { kind, re, hint } of SPANNING_RES) {
    if (!hint(marked)) continue
    const text = marked
    marked = text.replace(re, (match: string, ...rest: unknown[]) => {
      const offset = rest[rest.length - 2] as number
      // A value glued to letters or digits is part of something else (`x2024-01-15`).
      if (isAlnum(text[offset - 1]) || isAlnum(text[offset + match.length])) return match
      return sentinel(kind)
    })
  }
  return marked
}

/** The kind of an all-digit token: a plausible date or Unix time, else an id. */
export function digitsKind(digits: string): Placeholder {
  if (digits.length === 8) {
    const year = Number(digits.slice(0, 4))
    const month = Number(digits.slice(4, 6))
    const day = Number(digits.slice(6, 8))
    if (year >= 1970 && year <= 2099 && month >= 1 && month <= 12 && day >= 1 && day <= 31) return 'date'
  }
  if (digits.length === 10 || digits.length === 13) {
    const seconds = Number(digits) / (digits.length === 13 ? 1000 : 1)
    // 2001-09-09 .. 2100-01-01: a Unix time in seconds or milliseconds.
    if (seconds >= 1e9 && seconds < 4_102_444_800) return 'ts'
  }
  return 'id'
}

/**
 * A random token (session id, API key, nanoid, base64url): long, letters mixed with digits or
 * with both cases, and switching character class far more often than words do
 * (`Xk3a9LmQ2pZ0` switches at almost every character, `userProfileV2` three times).
 */
export function looksRandom(text: string): boolean {
  if (text.length < 12 || !/^[A-Za-z0-9_+/=~-]+$/.test(text)) return false
  let lower = 0
  let upper = 0
  let digits = 0
  let switches = 0
  let previous = 0
  let alnum = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    const cls = c >= 48 && c <= 57 ? 1 : c >= 65 && c <= 90 ? 2 : c >= 97 && c <= 122 ? 3 : 0
    if (cls === 0) continue
    alnum++
    if (cls === 1) digits++
    else if (cls === 2) upper++
    else lower++
    if (previous !== 0 && cls !== previous) switches++
    previous = cls
  }
  const letters = lower + upper
  if (letters === 0 || alnum < 12) return false
  const rate = switches / alnum
  if (digits >= 2) return rate >= (alnum >= 24 ? 0.2 : 0.3)
  // Hardly any digits: random only with both cases in like proportion (`XkQmLpZrTwYbNcVd`);
  // camelCase words have far fewer capitals (`getUserByIdV2Cache`: 29 %).
  const upperShare = upper / letters
  return alnum >= 16 && upperShare >= 0.3 && upperShare <= 0.7 && rate >= 0.4
}

/** The placeholder for a token that is one value as a whole, or null for literal text. */
export function classifyToken(token: string): Placeholder | null {
  return classify(token, false)
}

/** `marked`: the text went through markSpanning, so private-use characters are its sentinels. */
function classify(token: string, marked: boolean): Placeholder | null {
  if (token === '') return null
  const only = marked ? sentinelKind(token) : undefined
  if (only) return only
  const first = token.charCodeAt(0)
  // Numbers start with a digit or a sign: one comparison spares most tokens three expressions.
  if ((first >= 48 && first <= 57) || first === 43 || first === 45) {
    if (/^\d+$/.test(token)) return digitsKind(token)
    if (/^[+-]\d+$/.test(token)) return 'id'
    if (/^[+-]?\d+\.\d+(?:[eE][+-]?\d+)?$/.test(token)) return 'num'
  }
  if (token.length >= 8 && (/^[0-9a-f]+$/.test(token) || /^[0-9A-F]+$/.test(token)) && /[a-fA-F]/.test(token))
    return /\d/.test(token) ? 'hex' : null
  if (looksRandom(token)) return 'token'
  return null
}

const placeholderText = (kind: Placeholder) => `<${kind}>`

/** Literal text with sentinels spelled as placeholders (`~\ue000` → `~<id>`). */
function spell(text: string): string {
  let out = ''
  for (const char of text) {
    const kind = sentinelKind(char)
    out += kind ? placeholderText(kind) : char
  }
  return out
}

/** A piece of a segment: a placeholder, `prefix<id>`, or literal text. */
function pieceOf(text: string, delimiter: string, marked: boolean): Part {
  const kind = classify(text, marked)
  if (kind) return { text: placeholderText(kind), kind, delimiter, length: text.length }
  // `order98765`, `user1234`: a word glued to a number of 3+ digits.
  const glued = /^([A-Za-z]{2,})(\d{3,})$/.exec(text)
  if (glued) return { text: `${glued[1]}<id>`, kind: 'mixed', delimiter }
  if (marked && HAS_SENTINEL.test(text)) return { text: spell(text), kind: 'mixed', delimiter }
  return { text, kind: null, delimiter }
}

/** Cuts `text` at any character of `cut`, keeping each delimiter with the piece before it. */
function cutAt(text: string, cut: Uint8Array): { text: string; delimiter: string }[] {
  const pieces: { text: string; delimiter: string }[] = []
  let start = 0
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code < 128 && cut[code] === 1) {
      pieces.push({ text: text.slice(start, i), delimiter: text[i] as string })
      start = i + 1
    }
  }
  pieces.push({ text: text.slice(start), delimiter: '' })
  return pieces
}

/** The parts of a key, each literal or a placeholder. */
export function inferParts(key: string): Part[] {
  const parts: Part[] = []
  // A key that holds private-use characters itself is cut as it is: they are not sentinels then.
  const marked = !HAS_SENTINEL.test(key)
  for (const segment of cutAt(marked ? markSpanning(key) : key, PRIMARY)) {
    const whole = classify(segment.text, marked)
    if (whole) {
      parts.push({
        text: placeholderText(whole),
        kind: whole,
        delimiter: segment.delimiter,
        length: segment.text.length,
      })
      continue
    }
    const pieces = cutAt(segment.text, SECONDARY)
    for (const [i, piece] of pieces.entries()) {
      parts.push(pieceOf(piece.text, i === pieces.length - 1 ? segment.delimiter : piece.delimiter, marked))
    }
  }
  return parts
}

export function joinParts(parts: readonly Pick<Part, 'text' | 'delimiter'>[]): string {
  let pattern = ''
  for (const part of parts) pattern += part.text + part.delimiter
  return pattern
}

/** `user:1234:profile` → `user:<id>:profile`. */
export function inferPattern(key: string): string {
  return joinParts(inferParts(key))
}
