import { verdictArgv } from './scripts.js'
import type { GuardArg, GuardCommand } from './types.js'

/** Calls kept per script: a few objects (two queues, a queue and its worker) share one script. */
const PER_SCRIPT = 8
/** Longer arguments are not kept (a cached value, a job's data): such calls are judged every time. */
const MAX_KEPT_CHARS = 200

/**
 * What a cleared call's verdict read: its key count, the script's verdictArgv positions, and the
 * values there — the keys, then those ARGV.
 */
interface Inputs {
  readonly count: number
  readonly argv: readonly number[]
  readonly values: readonly GuardArg[]
}

/**
 * Script calls the guard cleared, so that the very same call is cleared again without judging it.
 *
 * The guard judges an EVALSHA of a defineScript script on a few of its values: its keys, and the
 * ARGV positions the script's judged calls name (guard/scripts.ts `verdictArgv`; none for the
 * scripts that read their arguments through locals, as the queue's do), plus durability. A
 * toolkit object sends the same values on every call — a queue's add, a worker's take — so the
 * values each script was last cleared with are kept, and a call with the same ones costs a
 * comparison instead of a judgement. On an idle path that is most of the guard's time: judging
 * reads the command table, hashes every key for its slot and walks the profile, all of it cold
 * after a pause (docs/internals.md, "The guard").
 *
 * The gate asks and keeps only while durability holds (without it the keys' declarations matter
 * too: GUARD_DURABILITY); everything kept is dropped when a keyspace is declared. Only short
 * strings and numbers are kept, and at most PER_SCRIPT calls per script.
 */
export class ClearedCalls {
  readonly #bySha = new Map<string, Inputs[]>()
  #declarations = 0
  /** The call `has` last looked up and did not find, with its inputs: what `add` keeps. */
  #missed: { readonly command: GuardCommand; readonly sha: string; readonly inputs: Inputs } | null = null

  /**
   * Whether a call with these very inputs was cleared before, under the same declarations. A hit
   * compares the call's values where they are, allocating nothing.
   */
  has(command: GuardCommand, declarations: number): boolean {
    this.#missed = null
    if (declarations !== this.#declarations) {
      this.#bySha.clear()
      this.#declarations = declarations
    }
    const verb = command[0]
    const sha = command[1]
    if ((verb !== 'EVALSHA' && verb !== 'EVALSHA_RO') || typeof sha !== 'string') return false
    const seen = this.#bySha.get(sha)
    if (seen !== undefined) for (const kept of seen) if (sameInputs(kept, command)) return true
    const inputs = inputsOf(command)
    if (inputs === null) return false
    this.#missed = { command, sha, inputs }
    return false
  }

  /** Keeps the call `has` just missed, now that the guard cleared it. */
  add(command: GuardCommand): void {
    const missed = this.#missed
    this.#missed = null
    if (missed?.command !== command) return
    const seen = this.#bySha.get(missed.sha) ?? []
    if (seen.length === 0) this.#bySha.set(missed.sha, seen)
    if (seen.length === PER_SCRIPT) seen.shift()
    seen.push(missed.inputs)
  }
}

/** EVALSHA sha numkeys key… arg…: what its verdict reads, or null (not a declared script's, or not worth keeping). */
function inputsOf(command: GuardCommand): Inputs | null {
  const argv = verdictArgv(command)
  if (argv === null) return null
  const count = Number(command[2])
  if (!Number.isInteger(count) || count < 0 || 3 + count > command.length) return null
  const values: GuardArg[] = []
  for (let i = 3; i < 3 + count; i++) if (!keep(values, command[i])) return null
  for (const position of argv) if (!keep(values, command[2 + count + position] ?? '')) return null
  return { count, argv, values }
}

function keep(values: GuardArg[], value: GuardArg | undefined): boolean {
  if (typeof value === 'number' || (typeof value === 'string' && value.length <= MAX_KEPT_CHARS)) {
    values.push(value)
    return true
  }
  return false
}

/** The call's keys and verdict ARGV are the kept ones (`===`: a number and its text differ, a miss). */
function sameInputs(kept: Inputs, command: GuardCommand): boolean {
  const count = kept.count
  if (Number(command[2]) !== count || 3 + count > command.length) return false
  const values = kept.values
  for (let i = 0; i < count; i++) if (command[3 + i] !== values[i]) return false
  const argv = kept.argv
  for (let j = 0; j < argv.length; j++)
    if ((command[2 + count + (argv[j] as number)] ?? '') !== values[count + j]) return false
  return true
}
