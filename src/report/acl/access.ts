import type { Script } from '../../atomic/script.js'
import { RedisExpertError } from '../../errors.js'
import type { Keyspace } from '../../keyspace/index.js'

/**
 * Who may do what: the access declaration the ACL users are generated from. Plain data, so a
 * module can export it beside its keyspaces (`export const access = { users: { … } }`):
 *
 *   users: {
 *     web:    { read: ['shop.product'], readwrite: ['shop.cart', 'shop.session'] },
 *     worker: { readwrite: ['queue.*'], scripts: ['move-price'] },
 *     auditor: { auditor: true },
 *   }
 *
 * An entry is `<namespace>.<entry>`, or `<namespace>.*` for every entry of a keyspace.
 */
export interface AccessDeclaration {
  readonly users: Readonly<Record<string, UserAccess>>
}

/**
 * What one user may do: the entries it reads, writes or both, the scripts it runs, the channels it uses,
 * the module commands it needs.
 */
export interface UserAccess {
  /** The entries' read operations (`%R~`). */
  readonly read?: readonly string[]
  /** Their write operations only, not pop/shift (`%W~` where blind writes suffice, else `~`). */
  readonly write?: readonly string[]
  /** Every operation (`~`). */
  readonly readwrite?: readonly string[]
  /**
   * defineScript scripts by name: EVALSHA/EVAL, and the commands their source calls, on the keys
   * of the entries named for each (`{ 'move-price': ['shop.cart'] }`), or of every entry the user
   * writes (`['move-price']`).
   */
  readonly scripts?: readonly string[] | Readonly<Record<string, readonly string[]>>
  /** Pub/Sub channel globs: `publish` may PUBLISH, `subscribe` may (P)SUBSCRIBE. */
  readonly channels?: { readonly publish?: readonly string[]; readonly subscribe?: readonly string[] }
  /** SCAN over the whole keyspace (it returns every key name, whatever the key patterns say). */
  readonly scan?: boolean
  /** Commands by name: module commands (no categories on Redis 7.0), e.g. `FT.SEARCH`. */
  readonly commands?: readonly string[]
  /** An auditor: exactly what `redis-expert audit` sends, reading every key; `config` / `acl` add CONFIG GET / ACL LIST and DRYRUN. */
  readonly auditor?: boolean | { readonly config?: boolean; readonly acl?: boolean }
}

const USER_OPTIONS = ['read', 'write', 'readwrite', 'scripts', 'channels', 'scan', 'commands', 'auditor']

function invalid(message: string, details: Record<string, unknown> = {}): RedisExpertError {
  return new RedisExpertError('INVALID_ARGUMENT', `access declaration: ${message}`, { details })
}

/** The default when a module declares no access: one application user and an auditor. */
export function defaultAccess(keyspaces: readonly Keyspace[], scripts: readonly Script[]): AccessDeclaration {
  return {
    users: {
      app: {
        readwrite: keyspaces.map((ks) => `${ks.namespace}.*`),
        ...(scripts.length > 0 ? { scripts: scripts.map((s) => s.name) } : {}),
      },
      auditor: { auditor: true },
    },
  }
}

/** Checks the declaration's shape and that every entry and script it names exists. */
export function validateAccess(
  access: unknown,
  keyspaces: readonly Keyspace[],
  scripts: readonly Script[],
): AccessDeclaration {
  if (typeof access !== 'object' || access === null || Array.isArray(access))
    throw invalid('must be an object { users: { <name>: { read, write, readwrite, ... } } }')
  const users = (access as { users?: unknown }).users
  if (typeof users !== 'object' || users === null || Array.isArray(users))
    throw invalid('users must be an object')
  for (const [name, user] of Object.entries(users)) {
    if (!/^[A-Za-z0-9_.@-]+$/.test(name) || name === 'default')
      throw invalid(`user name ${JSON.stringify(name)}: letters, digits, _ . @ - only (and not 'default')`)
    if (typeof user !== 'object' || user === null || Array.isArray(user))
      throw invalid(`user ${name}: an object`)
    const unknown = Object.keys(user).filter((k) => !USER_OPTIONS.includes(k))
    if (unknown.length > 0)
      throw invalid(`user ${name}: unknown option ${unknown.join(', ')} (known: ${USER_OPTIONS.join(', ')})`)
    const u = user as UserAccess
    for (const mode of ['read', 'write', 'readwrite'] as const)
      for (const ref of strings(u[mode], `${name}.${mode}`)) resolveRef(ref, keyspaces)
    const scriptRefs =
      u.scripts !== undefined && !Array.isArray(u.scripts) && typeof u.scripts === 'object'
        ? Object.entries(u.scripts as Record<string, unknown>)
        : strings(u.scripts, `${name}.scripts`).map((s): [string, unknown] => [s, []])
    for (const [script, on] of scriptRefs) {
      if (!scripts.some((s) => s.name === script))
        throw invalid(`user ${name}: no exported script named ${JSON.stringify(script)}`, { script })
      for (const ref of strings(on, `${name}.scripts.${script}`)) resolveRef(ref, keyspaces)
    }
    if (u.channels !== undefined) {
      if (typeof u.channels !== 'object' || u.channels === null)
        throw invalid(`user ${name}: channels is an object`)
      strings(u.channels.publish, `${name}.channels.publish`)
      strings(u.channels.subscribe, `${name}.channels.subscribe`)
    }
    for (const command of strings(u.commands, `${name}.commands`))
      if (!/^[A-Za-z][A-Za-z0-9_.|-]*$/.test(command))
        throw invalid(`user ${name}: not a command name: ${command}`)
    if (u.scan !== undefined && typeof u.scan !== 'boolean') throw invalid(`user ${name}: scan is a boolean`)
  }
  return access as AccessDeclaration
}

function strings(value: unknown, where: string): readonly string[] {
  if (value === undefined) return []
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string'))
    throw invalid(`${where}: an array of strings`)
  return value as string[]
}

/** `shop.cart` → that entry; `shop.*` → every entry of `shop`. */
export function resolveRef(
  ref: string,
  keyspaces: readonly Keyspace[],
): { keyspace: Keyspace; entries: Keyspace['entries'] } {
  const dot = ref.lastIndexOf('.')
  const namespace = ref.slice(0, dot)
  const entry = ref.slice(dot + 1)
  const keyspace = keyspaces.find((ks) => ks.namespace === namespace)
  if (dot <= 0 || !keyspace)
    throw invalid(
      `${JSON.stringify(ref)}: no keyspace ${JSON.stringify(namespace)} (write <namespace>.<entry>)`,
      {
        ref,
        keyspaces: keyspaces.map((ks) => ks.namespace),
      },
    )
  if (entry === '*') return { keyspace, entries: keyspace.entries }
  const found = keyspace.entries.filter((e) => e.name === entry)
  if (found.length === 0)
    throw invalid(`${JSON.stringify(ref)}: keyspace ${namespace} has no entry ${JSON.stringify(entry)}`, {
      ref,
    })
  return { keyspace, entries: found }
}
