import type { KeyPolicy } from '../guard/types.js'
import type { EntryPolicy } from '../keyspace/declaration.js'
import { assertDisjoint, type Keyspace } from '../keyspace/define.js'

/**
 * The keyspaces a client knows, answering the guard's one question about a key: which
 * declaration covers it. Keyspaces are checked against each other when added, so a key
 * belongs to at most one entry.
 */
export class Declarations {
  readonly #keyspaces: Keyspace[] = []
  readonly #policies = new WeakMap<EntryPolicy, KeyPolicy>()
  #hasSourceOfTruth = false

  /** How many keyspaces are known: it changes with every one added (what the guard may have judged by). */
  get version(): number {
    return this.#keyspaces.length
  }

  add(keyspace: Keyspace): void {
    if (this.#keyspaces.includes(keyspace)) return
    assertDisjoint([...this.#keyspaces, keyspace])
    this.#keyspaces.push(keyspace)
    if (keyspace.entries.some((e) => e.policy.durability === 'source-of-truth')) this.#hasSourceOfTruth = true
  }

  /** Every keyspace known, in the order they were added. */
  all(): readonly Keyspace[] {
    return [...this.#keyspaces]
  }

  /** Read on every write the guard checks, hence a field and not a search. */
  get hasSourceOfTruth(): boolean {
    return this.#hasSourceOfTruth
  }

  /** The policy of the entry that built `key`, or undefined for an undeclared key. */
  policyOf(key: string): KeyPolicy | undefined {
    for (const keyspace of this.#keyspaces) {
      if (!key.startsWith(keyspace.namespace) || key[keyspace.namespace.length] !== ':') continue
      const found = keyspace.parse(key)
      if (!found) continue
      const entry = keyspace.entries.find((e) => e.name === found.entry)
      if (entry) return this.policyFor(entry.policy)
    }
    return undefined
  }

  /** The guard's view of one entry's policy (one object per entry, reused). */
  policyFor(entry: EntryPolicy): KeyPolicy {
    let policy = this.#policies.get(entry)
    if (!policy) {
      policy = {
        entry: entry.name,
        persistent: entry.ttlMs === null,
        maxItems: entry.maxItems ?? undefined,
        sourceOfTruth: entry.durability === 'source-of-truth',
        type: entry.kind,
      }
      this.#policies.set(entry, policy)
    }
    return policy
  }
}
