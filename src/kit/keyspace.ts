import type { Client } from '../client/client.js'
import { assertClient } from '../common/validate.js'
import { RedisExpertError } from '../errors.js'
import { defineKeyspace, type EntryDeclarations, type Keyspace } from '../keyspace/define.js'

/**
 * Each structure declares its keys in its own keyspace, so that they appear in the Key Schema
 * table, the ACL rules and the audit, and the guard knows their bounds and TTL policies.
 *
 * Keyspaces are memoised by their full declaration: creating the same structure twice (two
 * instances in one process, a test re-creating it) yields the same keyspace object, which a
 * client accepts again; a different declaration under the same namespace is refused by the
 * client as KEYSPACE_OVERLAP, as two teams claiming one prefix should be.
 */
const known = new Map<string, Keyspace>()

export function structureKeyspace<const N extends string, const E extends EntryDeclarations>(
  namespace: N,
  entries: E,
): Keyspace<N, E> {
  const signature = `${namespace}\n${JSON.stringify(entries)}`
  const found = known.get(signature)
  if (found) return found as Keyspace<N, E>
  const keyspace = defineKeyspace(namespace, entries)
  known.set(signature, keyspace as unknown as Keyspace)
  return keyspace
}

/** Makes the keyspace known to the client's guard; the client must be this toolkit's. */
export function declareOn(db: Client, keyspace: Keyspace): void {
  assertClient(db, 'the first argument')
  try {
    db.declare(keyspace)
  } catch (error) {
    if (!(error instanceof RedisExpertError) || error.code !== 'KEYSPACE_OVERLAP') throw error
    throw new RedisExpertError(
      'KEYSPACE_OVERLAP',
      `namespace '${keyspace.namespace}' is already declared on this client with other options (${error.message}): give this structure its own namespace or name`,
      { cause: error, details: { ...error.details, namespace: keyspace.namespace } },
    )
  }
}

/**
 * The key of entry `name` for `params`, where the entry is chosen at run time (a period's board)
 * and the static types of the keyspace cannot name it.
 */
export function keyOf(keyspace: Keyspace, name: string, params?: Record<string, string | number>): string {
  const entry = keyspace.entries.find((e) => e.name === name)
  if (!entry) throw new Error(`keyspace '${keyspace.namespace}' has no entry '${name}'`)
  return (entry.key as (params?: Record<string, string | number>) => string)(params)
}
