import { keySlot } from '../common/slot.js'
import { RedisExpertError } from '../errors.js'
import { type DecisionRecord, decideEntry } from './decisions.js'
import { type EntryDeclaration, type EntryPolicy, resolveEntry } from './declaration.js'
import { describeEntry, type SchemaRow } from './describe.js'
import type { ServerTraits } from './encoding.js'
import type { ParamValue } from './escape.js'
import { overlapWitness } from './overlap.js'
import { buildKey, matchKey, validateNamespace } from './pattern.js'

/** `'id' | 'sku'` for `'cart:{<id>}:<sku>'`. */
export type ParamNames<P extends string> = P extends `${string}<${infer Name}>${infer Rest}`
  ? Name | ParamNames<Rest>
  : never

/** The argument of `key()`: every parameter, as a string or a safe integer. */
export type KeyParams<P extends string> = { readonly [K in ParamNames<P>]: ParamValue }
/** What `parse()` returns: every parameter as the string it was built from. */
export type ParsedParams<P extends string> = { readonly [K in ParamNames<P>]: string }
/** `key()` takes the parameters object, or nothing for a pattern without parameters. */
export type KeyArgs<P extends string> = [ParamNames<P>] extends [never] ? [] : [params: KeyParams<P>]

/** The entries of a keyspace declaration, by name. */
export type EntryDeclarations = { readonly [name: string]: EntryDeclaration }

/** One declared entry: its policy, key builder and parser. */
export interface Entry<D extends EntryDeclaration = EntryDeclaration> {
  readonly name: string
  readonly policy: EntryPolicy
  /** Full pattern: `shop:user:<id>`. */
  readonly pattern: string
  /** Glob for SCAN MATCH; a superset (e.g. `shop:user:*` also matches `shop:user:1:x`): filter with `tryParse`. */
  readonly match: string
  /** `shop.user.key({ id: '42' })` → `'shop:user:42'`. Throws KEY_PARAM_INVALID. */
  key(...args: KeyArgs<D['pattern']>): string
  /** The parameters a key was built from; KEY_MISMATCH when it is not a key of this entry. */
  parse(key: string): ParsedParams<D['pattern']>
  /** Like `parse`, but null instead of KEY_MISMATCH. */
  tryParse(key: string): ParsedParams<D['pattern']> | null
  /** The Cluster slot of the key these parameters build. */
  slot(...args: KeyArgs<D['pattern']>): number
  /** The entry's row of the Key Schema table, with the encoding predicted for the server's limits. */
  describe(traits?: ServerTraits): SchemaRow
}

declare const declarations: unique symbol

/** Brand shared by every copy of this module (the CLI may load a keyspace through another loader). */
export const KEYSPACE_BRAND: unique symbol = Symbol.for('redis-expert.keyspace')

/**
 * What every keyspace has besides its entries: its namespace, the entries list, the Key Schema rows, the
 * decision log and the parser of key names.
 */
export interface KeyspaceApi<N extends string, E extends EntryDeclarations> {
  readonly [KEYSPACE_BRAND]: true
  /** Phantom: the declarations' types, for `bindKeyspace`. */
  readonly [declarations]?: E
  readonly namespace: N
  /** The entries in declaration order. */
  readonly entries: readonly Entry[]
  /** Key Schema rows; pass the server's limits (from `probe()`) for its real encodings. */
  describe(traits?: ServerTraits): SchemaRow[]
  /** The decision log: the five questions answered per entry, with warnings. */
  decisions(traits?: ServerTraits): DecisionRecord[]
  /** Which entry built `key`, and from which parameters; null when none did. */
  parse(
    key: string,
  ): { readonly entry: keyof E & string; readonly params: Readonly<Record<string, string>> } | null
}

/** Each entry by name; for the general `Keyspace` (no declared names) just the API. */
export type EntriesOf<E extends EntryDeclarations> = string extends keyof E
  ? unknown
  : { readonly [K in keyof E]: Entry<E[K]> }

/** A declared keyspace: its entries by name (key builders, parsers, policies) and the keyspace's own API. */
export type Keyspace<
  N extends string = string,
  E extends EntryDeclarations = EntryDeclarations,
> = KeyspaceApi<N, E> & EntriesOf<E>

/** Entry names that would shadow the keyspace's own members (or make it a thenable). */
const RESERVED = ['namespace', 'entries', 'describe', 'decisions', 'parse', 'then', 'constructor', 'toString']

/**
 * Declares a keyspace: every key the application touches, with its type, TTL policy, role,
 * durability and bounds. Validates the whole declaration at once, so that a mistake fails at
 * startup rather than in production: KEYSPACE_INVALID (malformed or contradictory),
 * KEYSPACE_TTL_REQUIRED (a cache, session or lock without a finite TTL), KEYSPACE_OVERLAP
 * (two patterns that can build the same key).
 */
export function defineKeyspace<const N extends string, const E extends EntryDeclarations>(
  namespace: N,
  entries: E,
): Keyspace<N, E> {
  validateNamespace(namespace)
  if (typeof entries !== 'object' || entries === null || Array.isArray(entries)) {
    throw new RedisExpertError('KEYSPACE_INVALID', `keyspace '${namespace}': entries must be an object`)
  }
  const names = Object.keys(entries)
  if (names.length === 0)
    throw new RedisExpertError('KEYSPACE_INVALID', `keyspace '${namespace}' declares no entries`)
  const policies = names.map((name) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || RESERVED.includes(name)) {
      throw new RedisExpertError(
        'KEYSPACE_INVALID',
        `keyspace '${namespace}': '${name}' cannot name an entry (use an identifier other than ${RESERVED.join(', ')})`,
        { details: { entry: name } },
      )
    }
    return resolveEntry(namespace, name, entries[name])
  })
  assertNoOverlap(policies)

  const built = policies.map(makeEntry)
  const keyspace: Record<string, unknown> = {}
  for (const entry of built) keyspace[entry.name] = entry
  Object.defineProperties(keyspace, {
    [KEYSPACE_BRAND]: { value: true },
    namespace: { value: namespace },
    entries: { value: Object.freeze(built), enumerable: false },
    describe: { value: (traits?: ServerTraits) => built.map((e) => e.describe(traits)) },
    decisions: { value: (traits?: ServerTraits) => policies.map((p) => decideEntry(p, policies, traits)) },
    parse: {
      value: (key: string) => {
        for (const entry of built) {
          const params = entry.tryParse(key)
          if (params) return { entry: entry.name, params }
        }
        return null
      },
    },
  })
  return Object.freeze(keyspace) as unknown as Keyspace<N, E>
}

/** Throws KEYSPACE_OVERLAP for the first pair of entries that can build the same key. */
export function assertNoOverlap(policies: readonly EntryPolicy[]): void {
  for (let i = 0; i < policies.length; i++) {
    for (let j = i + 1; j < policies.length; j++) {
      const a = policies[i]!
      const b = policies[j]!
      const witness = overlapWitness(a.pattern, b.pattern)
      if (witness !== null) {
        throw new RedisExpertError(
          'KEYSPACE_OVERLAP',
          `entries '${a.name}' (${a.pattern.full}) and '${b.name}' (${b.pattern.full}) can build the same key, e.g. ${witness}`,
          { details: { entries: [a.name, b.name], patterns: [a.pattern.full, b.pattern.full], witness } },
        )
      }
    }
  }
}

/** Checks several keyspaces against each other (e.g. the application's and the toolkit's own). */
export function assertDisjoint(keyspaces: readonly Keyspace[]): void {
  const all = keyspaces.flatMap((ks) =>
    ks.entries.map((e) => ({ ...e.policy, name: `${ks.namespace}.${e.name}` })),
  )
  assertNoOverlap(all)
}

function makeEntry(policy: EntryPolicy): Entry {
  const pattern = policy.pattern
  const tryParse = (key: string) => matchKey(pattern, key)
  const key = (...args: unknown[]) => buildKey(pattern, args[0])
  return Object.freeze({
    name: policy.name,
    policy,
    pattern: pattern.full,
    match: pattern.match,
    key,
    tryParse,
    parse(candidate: string) {
      const params = tryParse(candidate)
      if (params) return params
      throw new RedisExpertError(
        'KEY_MISMATCH',
        `${JSON.stringify(String(candidate).slice(0, 200))} is not a key of '${policy.name}' (${pattern.full})`,
        { details: { key: candidate, entry: policy.name, pattern: pattern.full } },
      )
    },
    slot: (...args: unknown[]) => keySlot(buildKey(pattern, args[0])),
    describe: (traits?: ServerTraits) => describeEntry(policy, traits),
  }) as Entry
}

/** True for a value built by `defineKeyspace` (in this or another copy of the module). */
export function isKeyspace(value: unknown): value is Keyspace {
  return (
    typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[KEYSPACE_BRAND] === true
  )
}
