import { createHash } from 'node:crypto'
import type { Script } from '../../atomic/script.js'
import { optionNames, strictOptions } from '../../common/validate.js'
import { RedisExpertError } from '../../errors.js'
import { luaCalls } from '../../guard/lua-calls.js'
import type { Entry, Keyspace } from '../../keyspace/index.js'
import {
  type AccessDeclaration,
  defaultAccess,
  resolveRef,
  type UserAccess,
  validateAccess,
} from './access.js'
import {
  AUDITOR_COMMANDS,
  AUDITOR_OPTIONAL,
  CLIENT_COMMANDS,
  entryGrant,
  type KeyPermission,
} from './commands.js'
import { globWitness } from './glob.js'

/**
 * Least-privilege ACL users from the declaration and an access declaration: for each user the
 * commands its declared operations send — never a category, since `+@write` carries FLUSHALL,
 * SWAPDB, RESTORE and MIGRATE and `+@read` carries KEYS — the key patterns of its entries with
 * the permission their operations need, its channels, and notes on what the rules grant beyond
 * the declaration (sibling globs, SCAN).
 */
/** Redis 7 selector: commands tied to the keys of one entry. */
export interface AclSelector {
  readonly entry: string
  readonly pattern: string
  readonly permission: KeyPermission
  readonly commands: readonly string[]
}

/**
 * One generated ACL user: its password hash, key patterns, channels, commands and selectors, with notes
 * explaining them.
 */
export interface AclUserPlan {
  readonly name: string
  /** `#<sha256>` of its password, or null: `resetpass` and no password, so nobody can log in as it yet. */
  readonly passwordHash: string | null
  /** Root key patterns: the auditor's `%R~*`, or every entry's when selectors are off. */
  readonly keys: readonly {
    readonly pattern: string
    readonly permission: KeyPermission
    readonly entries: readonly string[]
  }[]
  readonly channels: readonly string[]
  /** Root commands: keyless ones (and every command when selectors are off), each with why. */
  readonly commands: readonly { readonly name: string; readonly why: string }[]
  /** One per granted entry: its commands on its keys only. */
  readonly selectors: readonly AclSelector[]
  readonly notes: readonly string[]
}

/** The ACL users generated from a declaration, before rendering (aclfile, ACL SETUSER lines or JSON). */
export interface AclPlan {
  readonly users: readonly AclUserPlan[]
}

export interface AclSource {
  readonly keyspaces: readonly Keyspace[]
  readonly scripts?: readonly Script[]
  /** Default: an `app` user reading and writing every entry (and running every script), and an `auditor`. */
  readonly access?: unknown
  /** Passwords by user name, rendered as their SHA-256 (`#…`), never in clear. */
  readonly passwords?: Readonly<Record<string, string>>
  /**
   * Tie each entry's commands to its keys with Redis 7 selectors (default true). Without them
   * (Redis 6) every granted command runs on every granted key: the notes say which spill over.
   */
  readonly selectors?: boolean
}

/** Never granted: whatever a declaration asks, these stay refused. */
const FORBIDDEN = new Set([
  'KEYS',
  'FLUSHALL',
  'FLUSHDB',
  'DEBUG',
  'MONITOR',
  'CONFIG',
  'SHUTDOWN',
  'SWAPDB',
  'RESTORE',
  'MIGRATE',
  'SAVE',
  'BGSAVE',
  'BGREWRITEAOF',
  'REPLICAOF',
  'SLAVEOF',
  'FAILOVER',
  'CLUSTER',
  'MODULE',
  'ACL',
  'SYNC',
  'PSYNC',
  'PFDEBUG',
  'PFSELFTEST',
  'SORT',
  'SORT_RO',
  'LATENCY',
  'SLOWLOG',
  'CLIENT',
])

const SOURCE_OPTIONS = optionNames<AclSource>({
  keyspaces: true,
  scripts: true,
  access: true,
  passwords: true,
  selectors: true,
})

/**
 * The least-privilege ACL users of a declaration: per user, the commands its declared operations send on
 * its entries' keys (Redis 7 selectors), never a whole category; INVALID_ARGUMENT for an access declaration
 * that names unknown entries or scripts.
 */
export function generateAcl(source: AclSource): AclPlan {
  strictOptions('generateAcl', source, SOURCE_OPTIONS)
  const scripts = source.scripts ?? []
  const access: AccessDeclaration =
    source.access === undefined
      ? defaultAccess(source.keyspaces, scripts)
      : validateAccess(source.access, source.keyspaces, scripts)
  for (const name of Object.keys(source.passwords ?? {}))
    if (!(name in access.users))
      throw new RedisExpertError('INVALID_ARGUMENT', `a password for ${name}, who is not a declared user`)
  const users = Object.entries(access.users).map(([name, user]) =>
    userPlan(name, user, source.keyspaces, scripts, source.passwords?.[name], source.selectors !== false),
  )
  return { users }
}

/** Keyless commands: they go to the root (a selector's key patterns cannot admit them). */
const KEYLESS = new Set(['MULTI', 'EXEC', 'WAIT', 'SCRIPT|LOAD'])

function userPlan(
  name: string,
  user: UserAccess,
  keyspaces: readonly Keyspace[],
  scripts: readonly Script[],
  password: string | undefined,
  useSelectors: boolean,
): AclUserPlan {
  const notes: string[] = []
  const root = new Map<string, string>()
  const allowed = (command: string, why: string, allowForbidden: boolean): boolean => {
    const base = command.split('|')[0]!.toUpperCase()
    if (FORBIDDEN.has(base) && !allowForbidden) {
      notes.push(`${command} is never granted (${why}): the hard stops forbid it`)
      return false
    }
    return true
  }
  const grant = (command: string, why: string, allowForbidden = false) => {
    if (allowed(command, why, allowForbidden) && !root.has(command.toUpperCase()))
      root.set(command.toUpperCase(), why)
  }
  // glob → permissions (R, W) and the entries it serves (the root keys, without selectors).
  const keys = new Map<string, { read: boolean; write: boolean; entries: string[] }>()
  const addKey = (pattern: string, permission: KeyPermission, entry: string) => {
    const k = keys.get(pattern) ?? { read: false, write: false, entries: [] }
    if (permission !== '%W~') k.read = true
    if (permission !== '%R~') k.write = true
    if (!k.entries.includes(entry)) k.entries.push(entry)
    keys.set(pattern, k)
  }
  const selectors: {
    entry: string
    pattern: string
    permission: KeyPermission
    writes: boolean
    commands: Set<string>
  }[] = []
  /** A command on an entry's keys: into its selector, or the root (without selectors, or keyless). */
  const onEntry = (selector: (typeof selectors)[number] | undefined, command: string, why: string) => {
    if (!allowed(command, why, false)) return
    if (!useSelectors || !selector || KEYLESS.has(command.toUpperCase())) grant(command, why)
    else selector.commands.add(command.toUpperCase())
  }

  if (user.auditor) {
    addKey('*', '%R~', 'every key')
    for (const [command, why] of Object.entries(AUDITOR_COMMANDS)) grant(command, why, true)
    const extra = typeof user.auditor === 'object' ? user.auditor : {}
    for (const part of ['config', 'acl'] as const)
      if (extra[part])
        for (const [command, why] of Object.entries(AUDITOR_OPTIONAL[part])) grant(command, why, true)
    notes.push(
      'SCAN returns every key name in the database: the auditor reads them all (%R~*), and nothing else',
    )
    if (!extra.config)
      notes.push(
        'no CONFIG GET (it returns requirepass and masterauth): the audit reads persistence from INFO instead',
      )
  } else {
    for (const [command, why] of Object.entries(CLIENT_COMMANDS)) grant(command, why, true)
  }

  const granted: { entry: Entry; ref: string; permission: KeyPermission; commands: readonly string[] }[] = []
  for (const mode of ['read', 'write', 'readwrite'] as const) {
    for (const ref of user[mode] ?? []) {
      const { keyspace, entries } = resolveRef(ref, keyspaces)
      for (const entry of entries) {
        const label = `${keyspace.namespace}.${entry.name}`
        const g = entryGrant(entry.policy, mode)
        const existing = selectors.find((s) => s.entry === label)
        const permission: KeyPermission =
          existing && existing.permission !== g.permission ? '~' : g.permission
        const selector = existing ?? {
          entry: label,
          pattern: entry.match,
          permission,
          writes: false,
          commands: new Set<string>(),
        }
        selector.permission = permission
        if (mode !== 'read') selector.writes = true
        if (!existing) selectors.push(selector)
        for (const command of g.commands) onEntry(selector, command, `${label} (${mode})`)
        for (const note of g.notes) notes.push(`${label}: ${note}`)
        addKey(entry.match, g.permission, label)
        granted.push({ entry, ref: label, permission: g.permission, commands: g.commands })
      }
    }
  }

  for (const [scriptName, on] of scriptGrants(user.scripts)) {
    const script = scripts.find((s) => s.name === scriptName)!
    // Its keys are whatever the caller passes: the entries the declaration names for it, else
    // those this user writes (or, writing none, reads).
    const writable = selectors.filter((s) => s.writes)
    const named = on?.map((ref) => resolveRef(ref, keyspaces))
    const targets = named
      ? selectors.filter((s) => named.some((n) => n.entries.some((e) => s.pattern === e.match)))
      : writable.length > 0
        ? writable
        : selectors
    const read = luaCalls(script.source)
    const inner = read.calls.filter((call) => {
      if (!FORBIDDEN.has(call.command)) return true
      notes.push(`script ${script.name} calls ${call.command}: not granted, so it fails with NOPERM`)
      return false
    })
    for (const target of useSelectors ? targets : [undefined]) {
      onEntry(target, 'EVALSHA', `script ${script.name}`)
      onEntry(target, 'EVAL', `script ${script.name} on a cold script cache (TypeScript)`)
      for (const call of inner) onEntry(target, call.command, `called by script ${script.name}`)
    }
    grant('SCRIPT|LOAD', `script ${script.name} on a cold script cache (redis-py register_script)`)
    if (useSelectors)
      notes.push(
        `script ${script.name} may run on the keys of ${targets.map((t) => t.entry).join(', ') || 'no entry'} (${named ? 'as declared' : `every entry this user ${writable.length > 0 ? 'writes' : 'reads'}: name its entries to narrow it, scripts: { '${script.name}': ['<ns>.<entry>'] }`})`,
      )
    if (read.dynamic.length > 0)
      notes.push(
        `script ${script.name} calls commands whose names are not literals (line ${read.dynamic.map((d) => d.line).join(', ')}): they are not granted`,
      )
    notes.push(
      `script ${script.name}: ACL DRYRUN checks only the keys passed as KEYS[]; a key the script reaches otherwise is refused only when it runs`,
    )
  }

  const channels: string[] = []
  const publish = user.channels?.publish ?? []
  const subscribe = user.channels?.subscribe ?? []
  for (const channel of [...publish, ...subscribe]) if (!channels.includes(channel)) channels.push(channel)
  if (publish.length > 0) for (const c of ['PUBLISH', 'SPUBLISH']) grant(c, 'channels: publish')
  if (subscribe.length > 0)
    for (const c of ['SUBSCRIBE', 'PSUBSCRIBE', 'UNSUBSCRIBE', 'PUNSUBSCRIBE', 'SSUBSCRIBE', 'SUNSUBSCRIBE'])
      grant(c, 'channels: subscribe')
  if (channels.length > 0)
    notes.push('channels: only the & patterns listed (acl-pubsub-default is resetchannels since Redis 7.0)')

  if (user.scan) {
    grant('SCAN', 'declared scan: true')
    notes.push('SCAN is keyless: it returns every key name in the database, whatever the key patterns say')
  }
  for (const command of user.commands ?? []) {
    // A module command may take keys: granted at the root and on each entry's keys.
    grant(command.toLowerCase(), 'named in the access declaration')
    if (useSelectors)
      for (const selector of selectors) onEntry(selector, command, 'named in the access declaration')
    if (command.includes('.')) {
      notes.push(
        `${command}: a module command has no ACL category on Redis 7.0, so it is named; its keys still go through the key patterns`,
      )
      // Measured on 7.0 with RediSearch 1.2: a module command declared with the legacy first/last/step
      // key positions gets the key flags "RW access update" (COMMAND INFO), so %R~ refuses it (NOPERM)
      // even for FT.SEARCH. Its entries' patterns become ~; the commands granted still decide what runs.
      const narrowed = selectors.filter((s) => s.permission !== '~').map((s) => s.entry)
      for (const selector of selectors) selector.permission = '~'
      for (const k of keys.values()) {
        k.read = true
        k.write = true
      }
      if (narrowed.length > 0)
        notes.push(
          `${command}: Redis 7.0 flags a module command's keys read-write (RW in COMMAND INFO), which %R~/%W~ refuse: ${narrowed.join(', ')} get ~ (only the commands granted run there)`,
        )
    }
  }

  if (!useSelectors) notes.push(...spillNotes(granted))
  notes.push(...siblingNotes(granted, keyspaces, keys))
  const rootKeys = useSelectors && !user.auditor ? [] : [...keys]
  return {
    name,
    passwordHash: password === undefined ? null : createHash('sha256').update(password).digest('hex'),
    keys: rootKeys.map(([pattern, k]) => ({
      pattern,
      permission: k.read && k.write ? '~' : k.read ? '%R~' : '%W~',
      entries: k.entries,
    })),
    channels,
    commands: [...root]
      .map(([command, why]) => ({ name: command.toLowerCase(), why }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    selectors: useSelectors
      ? selectors.map((s) => ({
          entry: s.entry,
          pattern: s.pattern,
          permission: s.permission,
          commands: [...s.commands].map((c) => c.toLowerCase()).sort(),
        }))
      : [],
    notes,
  }
}

/** `scripts: ['a']` or `scripts: { a: ['shop.cart'] }` → [name, the entries it runs on or null]. */
function scriptGrants(scripts: UserAccess['scripts']): [string, readonly string[] | null][] {
  if (scripts === undefined) return []
  if (Array.isArray(scripts)) return scripts.map((name: string) => [name, null])
  return Object.entries(scripts as Readonly<Record<string, readonly string[]>>)
}

/** Without selectors: the commands one entry is granted that also run on another's keys. */
function spillNotes(
  granted: readonly { ref: string; entry: Entry; commands: readonly string[] }[],
): string[] {
  const notes: string[] = []
  for (const whole of ['HGETALL', 'SMEMBERS']) {
    const bounded = granted.filter((g) => g.commands.includes(whole)).map((g) => g.ref)
    const unbounded = granted
      .filter(
        (g) =>
          !g.commands.includes(whole) && (g.entry.policy.kind === 'hash' || g.entry.policy.kind === 'set'),
      )
      .map((g) => g.ref)
    if (bounded.length > 0 && unbounded.length > 0)
      notes.push(
        `without selectors a command is not tied to keys: ${whole}, granted for ${bounded.join(', ')} (bounded), also runs on ${unbounded.join(', ')}, which declare no bound (the client's guard still refuses it there)`,
      )
  }
  return notes
}

/** What each granted glob also covers: a key of an entry the user was not granted (as much). */
function siblingNotes(
  granted: readonly { entry: Entry; ref: string; permission: KeyPermission }[],
  keyspaces: readonly Keyspace[],
  keys: ReadonlyMap<string, { read: boolean; write: boolean }>,
): string[] {
  const notes: string[] = []
  const all = keyspaces.flatMap((ks) =>
    ks.entries.map((e) => ({ entry: e, ref: `${ks.namespace}.${e.name}` })),
  )
  for (const { entry, ref } of granted) {
    const glob = entry.match
    const k = keys.get(glob)!
    for (const other of all) {
      if (other.entry === entry) continue
      const mine = keys.get(other.entry.match)
      if (mine && (mine.read || !k.read) && (mine.write || !k.write)) continue
      const witness = globWitness(glob, other.entry.policy.pattern)
      if (witness === null) continue
      notes.push(
        `the pattern ${glob} of ${ref} also covers ${other.ref} (${other.entry.pattern}, e.g. ${witness}): a Redis glob's * spans ':' — there is no "any but :"; rename one of the patterns (a literal segment after the parameter) to separate them`,
      )
    }
  }
  return notes
}
