/**
 * The Redis commands a Lua source calls, read statically: every `redis.call(...)` and
 * `redis.pcall(...)` (and Valkey's `server.call` / `server.pcall`) whose command name is a string
 * literal. Comments and string contents are skipped, so a command named in a comment or inside a
 * string is not a call.
 *
 * What static reading cannot see, reported as `dynamic`: a command name computed at run time
 * (`redis.call(name, ...)`, `redis.call(ARGV[1])`), a call through an alias (`local c = redis.call`,
 * `redis['call']`), and code the script builds and loads itself (`loadstring` is not available to
 * Redis scripts, so that last one cannot happen on the server). A literal name is always the
 * command the server runs.
 */
export interface LuaCall {
  /** Upper case: `HGETALL`. */
  readonly command: string
  /** The second argument when it is a literal too (a subcommand: `CONFIG` `SET`), upper case. */
  readonly subcommand: string | null
  /** The arguments after the command name, as far as they can be read. */
  readonly args: readonly LuaArg[]
  /** 1-based line of the call. */
  readonly line: number
}

/** An argument: a literal (string or number), `KEYS[i]` / `ARGV[i]` (1-based), or anything else. */
export type LuaArg =
  | { readonly kind: 'literal'; readonly value: string }
  | { readonly kind: 'key'; readonly index: number }
  | { readonly kind: 'argv'; readonly index: number }
  | { readonly kind: 'unknown' }

export interface LuaCalls {
  readonly calls: readonly LuaCall[]
  /** Calls (or references to redis.call / redis.pcall) whose command name is not a literal. */
  readonly dynamic: readonly { readonly line: number; readonly text: string }[]
}

type Token =
  | { readonly kind: 'name'; readonly text: string; readonly line: number }
  | { readonly kind: 'string'; readonly text: string; readonly line: number }
  | { readonly kind: 'punct'; readonly text: string; readonly line: number }

/** Reads the calls of a Lua source. Never throws: text it cannot tokenize is skipped. */
export function luaCalls(source: string): LuaCalls {
  const tokens = tokenize(source)
  const calls: LuaCall[] = []
  const dynamic: { line: number; text: string }[] = []
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!
    if (t.kind !== 'name' || (t.text !== 'redis' && t.text !== 'server')) continue
    const next = tokens[i + 1]
    if (next?.kind === 'punct' && next.text === '[') {
      dynamic.push({ line: t.line, text: `${t.text}[...]` })
      continue
    }
    if (next?.kind !== 'punct' || (next.text !== '.' && next.text !== ':')) continue
    const method = tokens[i + 2]
    if (method?.kind !== 'name' || (method.text !== 'call' && method.text !== 'pcall')) continue
    const open = tokens[i + 3]
    const first = tokens[i + 4]
    if (open?.kind !== 'punct' || open.text !== '(') {
      dynamic.push({ line: t.line, text: `${t.text}.${method.text} used as a value` })
      continue
    }
    const after = tokens[i + 5]
    if (first?.kind !== 'string' || (after?.kind === 'punct' && after.text === '..')) {
      dynamic.push({ line: t.line, text: `${t.text}.${method.text}(<not a literal>)` })
      continue
    }
    const second = after?.kind === 'punct' && after.text === ',' ? tokens[i + 6] : undefined
    const secondEnds = tokens[i + 7]
    const subcommand =
      second?.kind === 'string' && !(secondEnds?.kind === 'punct' && secondEnds.text === '..')
        ? second.text.toUpperCase()
        : null
    calls.push({ command: first.text.toUpperCase(), subcommand, args: callArgs(tokens, i + 5), line: t.line })
  }
  return { calls, dynamic }
}

const OPEN = new Set(['(', '[', '{'])
const CLOSE = new Set([')', ']', '}'])

/** The arguments after the first, from `tokens[at]` (the token after the command name) to the closing `)`. */
function callArgs(tokens: readonly Token[], at: number): LuaArg[] {
  const args: LuaArg[] = []
  let current: Token[] = []
  let depth = 0
  for (let i = at; i < tokens.length; i++) {
    const t = tokens[i]!
    if (t.kind === 'punct' && depth === 0 && (t.text === ')' || t.text === ',')) {
      if (current.length > 0) args.push(argOf(current))
      current = []
      if (t.text === ')') break
      continue
    }
    if (t.kind === 'punct' && OPEN.has(t.text)) depth++
    if (t.kind === 'punct' && CLOSE.has(t.text)) depth--
    current.push(t)
  }
  return args
}

function argOf(tokens: readonly Token[]): LuaArg {
  const [a, b, c, d] = tokens
  if (tokens.length === 1 && a?.kind === 'string') return { kind: 'literal', value: a.text }
  if (tokens.length === 1 && a?.kind === 'name' && /^-?[0-9]/.test(a.text))
    return { kind: 'literal', value: a.text }
  if (
    tokens.length === 2 &&
    a?.kind === 'punct' &&
    a.text === '-' &&
    b?.kind === 'name' &&
    /^[0-9]/.test(b.text)
  )
    return { kind: 'literal', value: `-${b.text}` }
  if (
    tokens.length === 4 &&
    a?.kind === 'name' &&
    (a.text === 'KEYS' || a.text === 'ARGV') &&
    b?.text === '[' &&
    c?.kind === 'name' &&
    /^[0-9]+$/.test(c.text) &&
    d?.text === ']'
  )
    return { kind: a.text === 'KEYS' ? 'key' : 'argv', index: Number(c.text) }
  return { kind: 'unknown' }
}

/** `[[`, `[==[`: the level of a long bracket opening at `i`, or -1. */
function longBracket(source: string, i: number): number {
  if (source[i] !== '[') return -1
  let j = i + 1
  while (source[j] === '=') j++
  return source[j] === '[' ? j - i - 1 : -1
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = []
  let line = 1
  let i = 0
  const n = source.length
  const skipLong = (level: number): string => {
    // i is at the opening bracket; returns the content and leaves i after the closing one.
    const start = i + level + 2
    const close = `]${'='.repeat(level)}]`
    const end = source.indexOf(close, start)
    const stop = end < 0 ? n : end
    const content = source.slice(start, stop)
    line += (source.slice(i, stop).match(/\n/g) ?? []).length
    i = end < 0 ? n : end + close.length
    return content.replace(/^\r?\n/, '')
  }
  while (i < n) {
    const c = source[i]!
    if (c === '\n') {
      line++
      i++
    } else if (/\s/.test(c)) i++
    else if (c === '-' && source[i + 1] === '-') {
      const level = longBracket(source, i + 2)
      if (level >= 0) {
        i += 2
        skipLong(level)
      } else {
        while (i < n && source[i] !== '\n') i++
      }
    } else if (c === '"' || c === "'") {
      const start = line
      let text = ''
      i++
      while (i < n && source[i] !== c) {
        if (source[i] === '\\') {
          const e = source[i + 1] ?? ''
          const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'" }
          if (e in simple) text += simple[e]
          else if (e === '\n') {
            text += '\n'
            line++
          } else text += e
          i += 2
        } else {
          if (source[i] === '\n') line++
          text += source[i]
          i++
        }
      }
      i++
      tokens.push({ kind: 'string', text, line: start })
    } else if (c === '[' && longBracket(source, i) >= 0) {
      const start = line
      tokens.push({ kind: 'string', text: skipLong(longBracket(source, i)), line: start })
    } else if (/[A-Za-z_]/.test(c)) {
      let j = i
      while (j < n && /[A-Za-z0-9_]/.test(source[j]!)) j++
      tokens.push({ kind: 'name', text: source.slice(i, j), line })
      i = j
    } else if (/[0-9]/.test(c)) {
      let j = i
      while (j < n && /[0-9A-Za-z_.]/.test(source[j]!)) j++
      tokens.push({ kind: 'name', text: source.slice(i, j), line })
      i = j
    } else if (c === '.' && source[i + 1] === '.') {
      const three = source[i + 2] === '.'
      tokens.push({ kind: 'punct', text: three ? '...' : '..', line })
      i += three ? 3 : 2
    } else {
      tokens.push({ kind: 'punct', text: c, line })
      i++
    }
  }
  return tokens
}
