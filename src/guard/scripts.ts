import { keySlot } from '../common/slot.js'
import { text } from './args.js'
import { classify } from './classify.js'
import { type LuaArg, type LuaCall, type LuaCalls, luaCalls } from './lua-calls.js'
import { checkBatch, checkStops, DEFAULT_MAX_RANGE } from './policy.js'
import { type DeclaredScript, declaredBySha, declaredBySource } from './script-sources.js'
import type { GuardArg, GuardCommand, GuardContext, Violation } from './types.js'

/**
 * The hard stops inside scripts, client side. Every script the guard can see the source of is
 * read before it is sent — the source of an EVAL or EVAL_RO, of SCRIPT LOAD, a FUNCTION LOAD
 * library, and the scripts declared with defineScript, whether they travel as EVAL or as EVALSHA
 * (their SHA1 names their source: guard/script-sources.ts). Every `redis.call` / `redis.pcall`
 * with a literal command name becomes a command line, KEYS[i] and ARGV[i] replaced by the call's
 * own keys and arguments.
 *
 * A script built at the call site: its calls are judged together as one MULTI/EXEC would be —
 * KEYS refused, unbounded reads refused unless the key's declaration bounds it, a write needs its
 * TTL later in the script, keys share a slot.
 *
 * A defineScript script (a .lua file whose header documents its KEYS and ARGV; its declared keys
 * are checked for slot and durability by the EVALSHA itself): each call is judged on its own by
 * the rules that do not depend on what the script computes — KEYS (GUARD_KEYS), FLUSHALL /
 * FLUSHDB without ASYNC, DEBUG, MONITOR, SAVE, SHUTDOWN (GUARD_BLOCKING), whatever the
 * arguments; and where every argument of the call is a literal, KEYS[i] or ARGV[i], also the
 * unbounded reads (GUARD_UNBOUNDED: HGETALL of a key whose entry declares no maxItems, ZRANGE
 * 0 -1, ...) and DEL of a possibly large collection (GUARD_BLOCKING: inside a script it cannot
 * be rewritten to UNLINK). Not judged inside a defineScript script: the TTL rule (its writes'
 * TTLs usually come from ARGV or from arithmetic the reading cannot follow: the script's TTLs are
 * its author's, tested by its own tests), the slot of keys it builds or names literally (a
 * Cluster refuses them at run time), and calls with a computed argument beyond the rules above.
 *
 * What static reading cannot see, and what happens then:
 * - A command name that is not a literal (`redis.call(ARGV[1])`, `redis.call(name)`, an alias of
 *   redis.call): the script could run anything, so it is refused (GUARD_SCRIPT) — unless it is a
 *   defineScript script declared `reviewed: '<why>'` (its computed names come from a fixed list
 *   in the script, say).
 * - An argument that is neither a literal nor KEYS[i] / ARGV[i] (a local variable, a computed
 *   key, `unpack(...)`): at the call site it counts as an undeclared key, or as a bound that is not
 *   known — unbounded reads on it are refused, writes to it need a PEXPIRE on the same expression;
 *   in a defineScript script only the rules that hold whatever it is apply (above).
 * - Control flow: every call is judged as if it ran, once, in source order.
 * - FCALL / FCALL_RO of a library loaded elsewhere, and EVALSHA of a script that was not declared
 *   with defineScript in this process: the source is not in the command; the server-side
 *   guarantee is the ACL (`redis-expert acl`).
 */

/** Stands for an argument static reading cannot resolve. */
export const UNKNOWN_ARG = '<not a literal>'

export function scriptViolations(command: GuardCommand, context: GuardContext): readonly Violation[] {
  // The hot case, a declared script by its SHA1 with nothing left to judge per call: no parsing.
  const verb = command[0]
  if ((verb === 'EVALSHA' || verb === 'EVALSHA_RO') && command[1] !== undefined) {
    const declared = declaredBySha(text(command[1]))
    if (declared !== undefined && nothingToJudge(declared)) return NO_VIOLATIONS
  }
  const script = scriptOf(command)
  if (script === null) return []
  return script.declared === undefined
    ? callSiteViolations(script, context)
    : declaredViolations(script, script.declared, context)
}

/**
 * What the guard's verdict on a call reads, when it is an EVALSHA (or EVALSHA_RO) of a
 * defineScript script: besides the keys, the ARGV positions (1-based, as in Lua) its judged calls
 * name — none for a script with nothing to judge per call. Such a call is judged on those values
 * alone (and on durability, which the gate checks itself), so the same values get the same
 * verdict (guard/cleared-calls.ts). Null for any other command.
 */
export function verdictArgv(command: GuardCommand): readonly number[] | null {
  const verb = command[0]
  if ((verb !== 'EVALSHA' && verb !== 'EVALSHA_RO') || command[1] === undefined) return null
  const declared = declaredBySha(text(command[1]))
  return declared === undefined ? null : planOf(declared).argvRead
}

function callSiteViolations(script: ScriptArgs, context: GuardContext): readonly Violation[] {
  const read = luaCalls(script.source)
  const out: Violation[] = read.dynamic.map((d) => ({
    rule: 'script',
    code: 'GUARD_SCRIPT',
    command: `${script.name} (script)`,
    message: `the script calls ${d.text} at line ${d.line}: a command name that is not a literal cannot be checked before it runs, so the script could run KEYS, FLUSHALL or an unbounded read`,
    fix: "name every command literally (redis.call('HGET', KEYS[1], ARGV[1])), or declare the script with defineScript (a .lua file) and, once its computed names are reviewed, reviewed: '<why they are safe>'",
  }))
  const commands = read.calls.map((call) => [call.command, ...call.args.map((a) => resolve(a, script))])
  if (commands.length === 0) return out
  for (const v of checkBatch(commands, { atomic: true }, innerContext(script, context))) {
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

/** What reading a declared script's source once gives: its calls, split by what can be resolved. */
interface DeclaredPlan {
  readonly read: LuaCalls
  /** Calls whose every argument is a literal, KEYS[i] or ARGV[i]: judged with the call's own values. */
  readonly resolvable: readonly LuaCall[]
  /** Calls with an argument static reading cannot resolve: only the rules that hold whatever it is. */
  readonly partial: readonly LuaCall[]
  /** The ARGV positions (1-based) the calls above name: all a call's verdict reads besides its keys. */
  readonly argvRead: readonly number[]
}

const plans = new WeakMap<DeclaredScript, DeclaredPlan>()

function planOf(declared: DeclaredScript): DeclaredPlan {
  let plan = plans.get(declared)
  if (plan === undefined) {
    const read = luaCalls(declared.source)
    const resolvable = read.calls.filter(
      (c) => c.args.every((a) => a.kind !== 'unknown') && !neverStopped(c, true),
    )
    const partial = read.calls.filter(
      (c) => c.args.some((a) => a.kind === 'unknown') && !neverStopped(c, false),
    )
    const argvRead = new Set<number>()
    for (const call of [...resolvable, ...partial])
      for (const arg of call.args) if (arg.kind === 'argv') argvRead.add(arg.index)
    plan = { read, resolvable, partial, argvRead: [...argvRead].sort((a, b) => a - b) }
    plans.set(declared, plan)
  }
  return plan
}

/**
 * Whether a call can never be refused, decided once when the script is read. What the guard
 * judges inside a declared script (refusals; for a resolvable call also unbounded reads and a
 * blocking DEL) depends on the command and its tokens, never on key names: a call without ARGV
 * among its arguments gets the same answer on every call. `resolvable`: also the read and DEL
 * rules apply. Such calls are dropped from the plan: most of a script's calls (TIME, GET, INCRBY,
 * PEXPIRE) cost nothing per call then.
 */
function neverStopped(call: LuaCall, resolvable: boolean): boolean {
  if (call.args.some((a) => a.kind === 'argv')) return false
  const line = [
    call.command,
    ...call.args.map((a) => (a.kind === 'literal' ? a.value : a.kind === 'key' ? 'k' : UNKNOWN_ARG)),
  ]
  const profile = classify(line, DEFAULT_MAX_RANGE)
  if (profile.refusal !== undefined) return false
  return !resolvable || (profile.read === undefined && !profile.frees)
}

const NO_VIOLATIONS: readonly Violation[] = Object.freeze([])

/** A declared script whose every call was settled when it was read (see neverStopped). */
function nothingToJudge(declared: DeclaredScript): boolean {
  const plan = planOf(declared)
  return (
    plan.resolvable.length === 0 &&
    plan.partial.length === 0 &&
    (declared.reviewed !== null || plan.read.dynamic.length === 0)
  )
}

/** Judged in a declared script whatever the arguments: KEYS, and the blocking commands that have no drop-in rewrite. */
function holdsAnyway(v: Violation): boolean {
  return v.code === 'GUARD_KEYS' || (v.code === 'GUARD_BLOCKING' && v.rewrite === undefined)
}

function declaredViolations(
  script: ScriptArgs,
  declared: DeclaredScript,
  context: GuardContext,
): readonly Violation[] {
  const plan = planOf(declared)
  const label = `script '${declared.name}'`
  const out: Violation[] = []
  if (declared.reviewed === null)
    for (const d of plan.read.dynamic)
      out.push({
        rule: 'script',
        code: 'GUARD_SCRIPT',
        command: `${script.name} ${label}`,
        message: `${label} calls ${d.text} at line ${d.line}: a command name that is not a literal cannot be checked before it runs, so the script could run KEYS, FLUSHALL or an unbounded read`,
        fix: `name every command literally in its .lua file, or, once the computed names are reviewed (chosen from a fixed list in the script, say), declare it with defineScript({ name: '${declared.name}', ..., reviewed: '<why they are safe>' })`,
      })
  if (plan.resolvable.length === 0 && plan.partial.length === 0) return out
  const inner = innerContext(script, context)
  const judge = (call: LuaCall, resolvable: boolean) => {
    const line = [call.command, ...call.args.map((a) => resolve(a, script))]
    // SCRIPT LOAD carries no keys: KEYS[i] is then as unknown as a computed argument.
    const resolved = resolvable && !line.includes(UNKNOWN_ARG)
    // Only the rules a command breaks by itself (checkStops): the TTL, durability and slot rules
    // are the script's own — and judging them here costs more than the script's round trip.
    for (const v of checkStops(line, inner)) {
      if (!resolved && !holdsAnyway(v)) continue
      const { rewrite, index: _index, ...rest } = v
      out.push({
        ...rest,
        command: `${script.name} ${label} → ${v.command}`,
        message: `inside ${label}, line ${call.line}: ${v.message}${rewrite ? ' (inside a script the guard cannot send its rewrite)' : ''}`,
        fix: `${v.fix}, in the script's .lua file`,
      })
    }
  }
  for (const call of plan.resolvable) judge(call, true)
  for (const call of plan.partial) judge(call, false)
  return out
}

/** The caller's context, with unresolved arguments as undeclared keys in the slot of the script's first key. */
function innerContext(script: ScriptArgs, context: GuardContext): GuardContext {
  // An unresolved key shares the slot of the script's keys: the script's own keys are checked by the command itself.
  const firstKey = script.keys[0]
  const slotOf = (key: string) =>
    key === UNKNOWN_ARG
      ? firstKey === undefined
        ? 0
        : keySlot(text(firstKey))
      : (context.slotOf ?? keySlot)(key)
  return {
    maxRange: context.maxRange,
    keysOf: (c) => context.keysOf(c),
    declarationOf: (key) => (key === UNKNOWN_ARG ? undefined : context.declarationOf(key)),
    durabilityOk: context.durabilityOk,
    ...(context.durabilityGaps === undefined ? {} : { durabilityGaps: context.durabilityGaps }),
    slotOf,
    ...(context.isWrite === undefined ? {} : { isWrite: (c: GuardCommand) => context.isWrite!(c) }),
  }
}

interface ScriptArgs {
  /** The command that carries it: EVAL, EVALSHA_RO, FUNCTION LOAD, ... */
  readonly name: string
  readonly source: string
  readonly keys: readonly GuardArg[]
  readonly argv: readonly GuardArg[]
  /** Its defineScript declaration, when it has one. */
  readonly declared?: DeclaredScript
}

/** The script a command carries, with its keys and arguments; null for any other command. */
function scriptOf(command: GuardCommand): ScriptArgs | null {
  const name = String(command[0] ?? '').toUpperCase()
  if (name === 'EVAL' || name === 'EVAL_RO' || name === 'EVALSHA' || name === 'EVALSHA_RO') {
    const head = command[1]
    const count = Number(text(command[2] ?? '0'))
    if (head === undefined || !Number.isInteger(count) || count < 0) return null
    const sha = name.startsWith('EVALSHA')
    // EVALSHA carries no source: only a defineScript script's SHA1 says what it runs.
    const declared = sha ? declaredBySha(text(head)) : declaredBySource(text(head))
    if (sha && declared === undefined) return null
    return {
      name,
      source: declared?.source ?? text(head),
      keys: command.slice(3, 3 + count),
      argv: command.slice(3 + count),
      ...(declared === undefined ? {} : { declared }),
    }
  }
  const sub = String(command[1] ?? '').toUpperCase()
  if ((name === 'FUNCTION' || name === 'SCRIPT') && sub === 'LOAD' && command.length >= 3) {
    const source = text(command[command.length - 1]!)
    const declared = name === 'SCRIPT' ? declaredBySource(source) : undefined
    return {
      name: `${name} LOAD`,
      source,
      keys: [],
      argv: [],
      ...(declared === undefined ? {} : { declared }),
    }
  }
  return null
}

function resolve(arg: LuaArg, script: ScriptArgs): GuardArg {
  if (arg.kind === 'literal') return arg.value
  if (arg.kind === 'key') return script.keys[arg.index - 1] ?? UNKNOWN_ARG
  if (arg.kind === 'argv') return script.argv[arg.index - 1] ?? UNKNOWN_ARG
  return UNKNOWN_ARG
}
