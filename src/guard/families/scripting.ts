import { def, makeProfile, type Row } from '../profile.js'
import { noKeys, slotOnly } from './shared.js'

/**
 * Scripting and functions (Redis's eval.c, functions.c). A call's declared keys must share a slot;
 * EVAL, EVALSHA and FCALL may write any of them, so a source-of-truth key among them needs
 * durability. TTLs are the script's own job here — what a script built at the call site does
 * inside is read from its source by scripts.ts; the _RO forms only read. SCRIPT and FUNCTION
 * manage the server's script caches: keyless admin.
 */
export const SCRIPTING: readonly Row[] = [
  def('FUNCTION SCRIPT', noKeys),
  def('EVAL_RO EVALSHA_RO FCALL_RO', slotOnly),
  def('EVAL EVALSHA FCALL', (name) => makeProfile(name, { keys: 'context', multiKey: true, mayWrite: true })),
]
