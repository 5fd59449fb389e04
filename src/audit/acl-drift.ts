import type { Script } from '../atomic/script.js'
import type { Keyspace } from '../keyspace/index.js'
import { type AccessDeclaration, type AclPlan, generateAcl, userRules } from '../report/acl/index.js'

/**
 * ACL drift: a live server's users against the ones `redis-expert acl` generates for the
 * declaration. Pure: the users come from `ACL LIST` (facts.ts), the expectation from the plan.
 *
 * Both sides are read as rule sets — the root and each `(selector)` — of key patterns (`~`, `%R~`,
 * `%W~`), channels (`&`) and the commands they allow, `+@category` / `-cmd` applied in order with
 * the server's own COMMAND table (ACL LIST rewrites rules into categories: see CommandCatalog);
 * passwords and `reset*` are left out. Selectors are paired by their key patterns.
 */

/** What the audit compares the live users with: the access declaration of `redis-expert acl`. */
export interface AuditAclOptions {
  /** Default: the generator's own (an `app` user with every entry and script, and an `auditor`). */
  readonly access?: AccessDeclaration
  /** The defineScript scripts the module exports (their commands are in the users' rules). */
  readonly scripts?: readonly Script[]
  /** As `redis-expert acl --no-selectors` when false (Redis 6 rules). Default true. */
  readonly selectors?: boolean
}

interface RuleSet {
  /** Key patterns, `%RW~` written `~`. */
  readonly keys: readonly string[]
  readonly channels: readonly string[]
  /** Every command (and `command|subcommand`) the rule set allows, categories expanded. */
  readonly commands: ReadonlySet<string>
}

/** A user as the comparison sees it. */
export interface UserView {
  readonly name: string
  readonly enabled: boolean
  readonly nopass: boolean
  readonly root: RuleSet
  readonly selectors: readonly RuleSet[]
}

/**
 * The server's commands and their ACL categories, from its own `COMMAND` reply: what `+@hash`
 * or `-@all` mean there. Needed because `ACL LIST` does not print the rules as they were given:
 * Redis 7 writes the shortest description it finds, so `+hdel +hget … +hgetall` may come back as
 * `+@hash -hkeys -hvals …` (measured).
 */
export interface CommandCatalog {
  /** Lower case; a command with subcommands is listed as each `command|subcommand`. */
  readonly names: readonly string[]
  readonly categories: ReadonlyMap<string, ReadonlySet<string>>
}

export function parseCommandCatalog(reply: unknown): CommandCatalog {
  const names: string[] = []
  const categories = new Map<string, Set<string>>()
  const add = (entry: unknown) => {
    if (!Array.isArray(entry)) return
    const name = String(entry[0]).toLowerCase()
    const subcommands = Array.isArray(entry[9]) ? entry[9] : []
    if (subcommands.length > 0) {
      for (const sub of subcommands) add(sub)
      return
    }
    names.push(name)
    for (const category of Array.isArray(entry[6]) ? entry[6] : []) {
      const key = String(category).replace(/^@/, '').toLowerCase()
      const set = categories.get(key) ?? new Set<string>()
      categories.set(key, set)
      set.add(name)
    }
  }
  if (Array.isArray(reply)) for (const entry of reply) add(entry)
  return { names, categories }
}

/**
 * How one generated ACL user differs from its live counterpart: missing, switched off, granted more, or
 * granted less.
 */
export interface UserDrift {
  readonly user: string
  /** The generated user is not on the server. */
  readonly missing: boolean
  /** It exists but is `off`. */
  readonly disabled: boolean
  /** Granted on the server beyond the generated rules (`+flushall`, `~*`, `nopass`, a whole selector). */
  readonly extra: readonly string[]
  /** Generated but not granted on the server: the application may meet NOPERM. */
  readonly lacking: readonly string[]
}

/** Granting any of these is a high finding: the hard stops' commands, every key, no password. */
const DANGEROUS =
  /^(?:\+(?:keys|flushall|flushdb|config|debug|monitor|shutdown|swapdb|restore|restore-asking|migrate|module|acl|save|bgsave|bgrewriteaof|replicaof|slaveof|failover|sync|psync)(?:\||$)|(?:~|%R~|%W~)\*$|nopass$|&\*$)/

/** True when a drift token (`+flushall`, `(~p): +@write`, a whole extra selector) grants a hard-stop command or every key. */
export function isDangerousGrant(token: string): boolean {
  const bare = token
    .replace(/^\([^)]*\): /, '')
    .replace(/^\(/, '')
    .replace(/\)$/, '')
  return bare.split(' ').some((t) => DANGEROUS.test(t))
}

/** The users `redis-expert acl` generates for these keyspaces and options: name → rules. */
export function expectedRules(keyspaces: readonly Keyspace[], options: AuditAclOptions): [string, string][] {
  const plan: AclPlan = generateAcl({
    keyspaces,
    ...(options.scripts ? { scripts: options.scripts } : {}),
    ...(options.access === undefined ? {} : { access: options.access }),
    ...(options.selectors === undefined ? {} : { selectors: options.selectors }),
  })
  return plan.users.map((user) => [user.name, userRules(user).join(' ')])
}

/** A user from its rules as `ACL LIST` prints them (after the name) or as the generator writes them. */
export function viewOf(name: string, rules: string, catalog: CommandCatalog): UserView {
  const sets: string[][] = [[]]
  let selector: string[] | null = null
  let enabled = false
  let nopass = false
  for (const raw of rules.trim().split(/\s+/)) {
    if (raw.startsWith('(')) {
      selector = []
      sets.push(selector)
    }
    const token = raw.replace(/^\(/, '').replace(/\)$/, '')
    const closes = raw.endsWith(')')
    if (token === 'on') enabled = true
    else if (token === 'off') enabled = false
    else if (token === 'nopass') nopass = true
    else if (token) (selector ?? (sets[0] as string[])).push(token)
    if (closes) selector = null
  }
  const [root, ...selectors] = sets.map((tokens) => ruleSet(tokens, catalog))
  return { name, enabled, nopass, root: root as RuleSet, selectors }
}

/** Applies the command rules in order, as Redis does: `+@hash -hkeys` is every hash command but HKEYS. */
function ruleSet(tokens: readonly string[], catalog: CommandCatalog): RuleSet {
  const keys = new Set<string>()
  const channels = new Set<string>()
  const commands = new Set<string>()
  const matching = (rule: string): readonly string[] => {
    if (rule === '@all') return catalog.names
    if (rule.startsWith('@')) return [...(catalog.categories.get(rule.slice(1)) ?? [])]
    // A parent command stands for each of its subcommands.
    const subs = catalog.names.filter((n) => n.startsWith(`${rule}|`))
    return subs.length > 0 ? subs : [rule]
  }
  for (const token of tokens) {
    const t =
      token === 'allkeys'
        ? '~*'
        : token === 'allchannels'
          ? '&*'
          : token === 'allcommands'
            ? '+@all'
            : token === 'nocommands'
              ? '-@all'
              : token
    if (t.startsWith('%RW~')) keys.add(`~${t.slice(4)}`)
    else if (t.startsWith('~') || t.startsWith('%R~') || t.startsWith('%W~')) keys.add(t)
    else if (t.startsWith('&')) channels.add(t)
    else if (t.startsWith('+')) for (const c of matching(t.slice(1).toLowerCase())) commands.add(c)
    else if (t.startsWith('-')) for (const c of matching(t.slice(1).toLowerCase())) commands.delete(c)
  }
  return { keys: [...keys].sort(), channels: [...channels].sort(), commands }
}

const signature = (set: RuleSet) => set.keys.join(' ')

/** How each generated user differs on the server; users the declaration does not name are not compared. */
export function aclDrift(expected: readonly UserView[], live: readonly UserView[]): UserDrift[] {
  const drifts: UserDrift[] = []
  for (const want of expected) {
    const have = live.find((u) => u.name === want.name)
    if (have === undefined) {
      drifts.push({ user: want.name, missing: true, disabled: false, extra: [], lacking: [] })
      continue
    }
    const extra: string[] = []
    const lacking: string[] = []
    if (have.nopass && !want.nopass) extra.push('nopass')
    compare(want.root, have.root, '', extra, lacking)
    const unmatched = [...have.selectors]
    for (const selector of want.selectors) {
      const at = unmatched.findIndex((s) => signature(s) === signature(selector))
      const label = `(${signature(selector)}): `
      if (at < 0) {
        lacking.push(describe(selector))
        continue
      }
      compare(selector, unmatched[at] as RuleSet, label, extra, lacking)
      unmatched.splice(at, 1)
    }
    for (const selector of unmatched) extra.push(describe(selector))
    if (!have.enabled || extra.length > 0 || lacking.length > 0)
      drifts.push({ user: want.name, missing: false, disabled: !have.enabled, extra, lacking })
  }
  return drifts
}

function compare(want: RuleSet, have: RuleSet, label: string, extra: string[], lacking: string[]): void {
  for (const token of [...have.keys, ...have.channels])
    if (!want.keys.includes(token) && !want.channels.includes(token)) extra.push(`${label}${token}`)
  for (const token of [...want.keys, ...want.channels])
    if (!have.keys.includes(token) && !have.channels.includes(token)) lacking.push(`${label}${token}`)
  for (const command of [...have.commands].sort())
    if (!want.commands.has(command)) extra.push(`${label}+${command}`)
  for (const command of [...want.commands].sort())
    if (!have.commands.has(command)) lacking.push(`${label}+${command}`)
}

/** `(~p +a +b)`: a selector as one token. */
function describe(set: RuleSet): string {
  return `(${[...set.keys, ...set.channels, ...[...set.commands].sort().map((c) => `+${c}`)].join(' ')})`
}
