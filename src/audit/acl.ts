/**
 * ACL users as `ACL LIST` prints them, and what they may run. Pure: the I/O is in facts.ts,
 * which asks `ACL DRYRUN` (7.0+) for the exact answer and falls back to `allows` here.
 */

export interface AclUser {
  readonly name: string
  readonly enabled: boolean
  readonly nopass: boolean
  /** The rules as printed (without passwords' hashes), for messages. */
  readonly rules: string
  /** `+@all` (or `allcommands`) in effect: nothing was taken away after it. */
  readonly allCommands: boolean
  /** `+@dangerous` in effect (implied by allCommands). */
  readonly dangerous: boolean
  /** May run KEYS / FLUSHALL: from ACL DRYRUN when the server has it, else from the rules; null: unknown. */
  readonly keys: boolean | null
  readonly flushall: boolean | null
}

/** Categories of the commands the audit asks about (from COMMAND INFO, stable since 6.0). */
const CATEGORIES: Readonly<Record<string, readonly string[]>> = {
  keys: ['keyspace', 'read', 'slow', 'dangerous'],
  flushall: ['keyspace', 'write', 'slow', 'dangerous'],
}

/** Splits `ACL LIST` rules into the root rule set and each `(selector)`. */
function ruleSets(tokens: readonly string[]): string[][] {
  const sets: string[][] = [[]]
  let selector: string[] | null = null
  for (const token of tokens) {
    if (token.startsWith('(')) {
      selector = []
      sets.push(selector)
    }
    const clean = token.replace(/^\(/, '').replace(/\)$/, '')
    if (clean) (selector ?? (sets[0] as string[])).push(clean)
    if (token.endsWith(')')) selector = null
  }
  return sets
}

/** Whether one rule set lets `command` (lower case, in CATEGORIES or named explicitly) run. */
function setAllows(rules: readonly string[], command: string): boolean {
  const categories = CATEGORIES[command] ?? []
  let allowed = false
  for (const rule of rules) {
    if (rule === '+@all' || rule === 'allcommands') allowed = true
    else if (rule === '-@all' || rule === 'nocommands' || rule === 'reset') allowed = false
    else if (rule.startsWith('+@') && categories.includes(rule.slice(2))) allowed = true
    else if (rule.startsWith('-@') && categories.includes(rule.slice(2))) allowed = false
    else if (rule.toLowerCase() === `+${command}`) allowed = true
    else if (rule.toLowerCase() === `-${command}`) allowed = false
  }
  return allowed
}

/** Whether `rules` (root or any selector) let `command` run. */
export function allows(tokens: readonly string[], command: string): boolean {
  return ruleSets(tokens).some((set) => setAllows(set, command))
}

/** `+@all` in effect: granted, and no command or category removed after it. */
function grantsAll(tokens: readonly string[]): boolean {
  return ruleSets(tokens).some((set) => {
    const at = Math.max(set.lastIndexOf('+@all'), set.lastIndexOf('allcommands'))
    return at >= 0 && !set.slice(at + 1).some((rule) => rule.startsWith('-') || rule === 'nocommands')
  })
}

function grantsDangerous(tokens: readonly string[]): boolean {
  return ruleSets(tokens).some((set) => {
    const at = set.lastIndexOf('+@dangerous')
    return at >= 0 && !set.slice(at + 1).some((rule) => rule === '-@dangerous' || rule === '-@all')
  })
}

/** Parses one `ACL LIST` line: `user app on #5e88... ~* &* +@all`. */
export function parseAclLine(line: string): AclUser | null {
  const tokens = line.trim().split(/\s+/)
  if (tokens[0] !== 'user' || tokens.length < 3) return null
  const name = tokens[1] as string
  const rest = tokens.slice(2)
  const shown = rest.filter((t) => !t.startsWith('#') && !t.startsWith('>'))
  const all = grantsAll(rest)
  return {
    name,
    enabled: rest.includes('on'),
    nopass: rest.includes('nopass'),
    rules: shown.join(' '),
    allCommands: all,
    dangerous: all || grantsDangerous(rest),
    keys: allows(rest, 'keys'),
    flushall: allows(rest, 'flushall'),
  }
}

export function parseAclList(reply: unknown): AclUser[] {
  if (!Array.isArray(reply)) return []
  return reply.map((line) => parseAclLine(String(line))).filter((u): u is AclUser => u !== null)
}
