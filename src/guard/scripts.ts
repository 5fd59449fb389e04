import { keySlot } from '../common/slot.js'
import { text } from './args.js'
import { type LuaArg, luaCalls } from './lua-calls.js'
import { checkBatch } from './policy.js'
import { isDeclaredScript } from './script-sources.js'
import type { GuardArg, GuardCommand, GuardContext, Violation } from './types.js'

/**
 * The hard stops inside scripts, client side. A script built at the call site — the source of an
 * EVAL or EVAL_RO, of SCRIPT LOAD, or a FUNCTION LOAD library — is read before it is sent: every
 * `redis.call` / `redis.pcall` with a literal command name becomes a command line (KEYS[i] and
 * ARGV[i] replaced by the call's own keys and arguments) and the calls of the script are judged
 * together as one MULTI/EXEC would be: KEYS refused, unbounded reads refused unless the key's
 * declaration bounds it, a write needs its TTL later in the script, keys share a slot.
 *
 * What static reading cannot see, and what happens then:
 * - A command name that is not a literal (`redis.call(ARGV[1])`, `redis.call(name)`, an alias of
 *   redis.call): the script could run anything, so it is refused (GUARD_SCRIPT) — declare it with
 *   defineScript instead.
 * - An argument that is neither a literal nor KEYS[i] / ARGV[i] (a local variable, a computed
 *   key): it counts as an undeclared key, or as a bound that is not known — unbounded reads on it
 *   are refused, writes to it need a PEXPIRE on the same expression.
 * - Control flow: every call is judged as if it ran, once, in source order.
 * - FCALL / FCALL_RO of a library loaded elsewhere, and EVALSHA of a script loaded elsewhere:
 *   the source is not in the command; the server-side guarantee is the ACL (`redis-expert acl`).
 *
 * Scripts declared with defineScript are trusted as reviewed (their .lua files and headers; their
 * keys checked at every call), whether they travel as EVALSHA or EVAL.
 */

/** Stands for an argument static reading cannot resolve. */
export const UNKNOWN_ARG = '<not a literal>'

export function scriptViolations(command: GuardCommand, context: GuardContext): readonly Violation[] {
  const script = scriptOf(command)
  if (script === null || isDeclaredScript(script.source)) return []
  const read = luaCalls(script.source)
  const out: Violation[] = read.dynamic.map((d) => ({
    rule: 'script',
    code: 'GUARD_SCRIPT',
    command: `${script.name} (script)`,
    message: `the script calls ${d.text} at line ${d.line}: a command name that is not a literal cannot be checked before it runs, so the script could run KEYS, FLUSHALL or an unbounded read`,
    fix: "name every command literally (redis.call('HGET', KEYS[1], ARGV[1])), or declare the script with defineScript (a reviewed .lua file)",
  }))
  const commands = read.calls.map((call) => [call.command, ...call.args.map((a) => resolve(a, script))])
  if (commands.length === 0) return out
  // An unresolved key shares the slot of the script's keys: the script's own keys are checked by the command itself.
  const firstKey = script.keys[0]
  const slotOf = (key: string) =>
    key === UNKNOWN_ARG
      ? firstKey === undefined
        ? 0
        : keySlot(text(firstKey))
      : (context.slotOf ?? keySlot)(key)
  const inner: GuardContext = {
    maxRange: context.maxRange,
    keysOf: (c) => context.keysOf(c),
    declarationOf: (key) => (key === UNKNOWN_ARG ? undefined : context.declarationOf(key)),
    durabilityOk: context.durabilityOk,
    ...(context.durabilityGaps === undefined ? {} : { durabilityGaps: context.durabilityGaps }),
    slotOf,
    ...(context.isWrite === undefined ? {} : { isWrite: (c: GuardCommand) => context.isWrite!(c) }),
  }
  for (const v of checkBatch(commands, { atomic: true }, inner)) {
    const call = read.calls[v.index ?? 0]!
    const { rewrite: _rewrite, index: _index, ...rest } = v
    out.push({
      ...rest,
      command: `${script.name} (script) → ${v.command}`,
      message: `inside the script, line ${call.line}: ${v.message}`,
      fix: `${v.fix}; or declare the script with defineScript`,
    })
  }
  return out
}

interface ScriptArgs {
  readonly name: string
  readonly source: string
  readonly keys: readonly GuardArg[]
  readonly argv: readonly GuardArg[]
}

/** The script a command carries, with its keys and arguments; null for any other command. */
function scriptOf(command: GuardCommand): ScriptArgs | null {
  const name = String(command[0] ?? '').toUpperCase()
  if (name === 'EVAL' || name === 'EVAL_RO') {
    const source = command[1]
    const count = Number(text(command[2] ?? '0'))
    if (source === undefined || !Number.isInteger(count) || count < 0) return null
    return {
      name,
      source: text(source),
      keys: command.slice(3, 3 + count),
      argv: command.slice(3 + count),
    }
  }
  const sub = String(command[1] ?? '').toUpperCase()
  if ((name === 'FUNCTION' || name === 'SCRIPT') && sub === 'LOAD' && command.length >= 3)
    return { name: `${name} LOAD`, source: text(command[command.length - 1]!), keys: [], argv: [] }
  return null
}

function resolve(arg: LuaArg, script: ScriptArgs): GuardArg {
  if (arg.kind === 'literal') return arg.value
  if (arg.kind === 'key') return script.keys[arg.index - 1] ?? UNKNOWN_ARG
  if (arg.kind === 'argv') return script.argv[arg.index - 1] ?? UNKNOWN_ARG
  return UNKNOWN_ARG
}
