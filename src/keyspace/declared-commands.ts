import type { Command } from '../common/types.js'
import type { EntryPolicy } from './declaration.js'

/** A key and the entry that built it. */
export interface DeclaredKey {
  readonly key: string
  readonly policy: EntryPolicy
}

/**
 * Commands built by a typed operation (ops/), each with the entry that built its key. The
 * handle already holds the entry's policy; the client's guard takes it from here rather than
 * parsing the key string back into the declaration (client/gate.ts). Weak, so a command that
 * has been sent is forgotten with it.
 */
const built = new WeakMap<Command, DeclaredKey>()

/** Marks `command` as addressing `declared.key`, built by `declared.policy`'s entry; returns it. */
export function markDeclared<C extends Command>(command: C, declared: DeclaredKey): C {
  built.set(command, declared)
  return command
}

/** The entry that built `command`'s key, when a typed operation built it. */
export function declaredKeyOf(command: Command): DeclaredKey | undefined {
  return built.get(command)
}
