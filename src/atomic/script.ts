import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { BatchOptions, CallOptions, Command, Executor, RedisArg, Reply } from '../common/types.js'
import { strictOptions } from '../common/validate.js'
import { invalidArgument, RedisExpertError } from '../errors.js'
import { declaredBySha, registerScriptSource } from '../guard/script-sources.js'
import { declaredKeyOf, markDeclared } from '../keyspace/declared-commands.js'

/**
 * A Lua script kept in its own .lua file, BullMQ-style: the file opens with a comment that
 * lists every `KEYS[i]` and `ARGV[i]` it uses, and the definition names them in the same
 * order. Keys are declared so that the guard can check their slot (every key of a script
 * must share one on a Cluster) and durability; values only ever travel as ARGV, never
 * spliced into the source, so no script is built from user data.
 *
 * Lua shared by several scripts lives in `includes/` folders and is pulled in by a line
 * `--@include <name>` (BullMQ keeps such snippets the same way): `includes/<name>.lua` next to
 * the script, else the toolkit's own `src/atomic/includes/<name>.lua`. The source is assembled
 * once, when the script is defined; the header check, the SHA, the guard and the ACL reports
 * all see the assembled source — what the server runs.
 */
export interface ScriptSpec<K extends string, A extends string> {
  readonly name: string
  /** The .lua file: a `file:` URL (e.g. `new URL('./x.lua', import.meta.url)`) or a path. */
  readonly file: URL | string
  /** Names of KEYS[1..n], in order. */
  readonly keys: readonly K[]
  /** Names of ARGV[1..n], in order. */
  readonly args: readonly A[]
  /** Runs with EVALSHA_RO (Redis 7+): allowed on replicas and in read-only ACLs. */
  readonly readonly?: boolean
  /**
   * Why the script's computed command names are safe (`redis.call(name, ...)` where `name` comes
   * from a fixed list in the script, say). The strict guard reads every script's source and
   * refuses (GUARD_SCRIPT) one whose command names it cannot read, unless it says this; the
   * commands it does name literally are held to the hard stops either way (KEYS, FLUSHALL, ...).
   */
  readonly reviewed?: string
}

/** Options of one script call: the client's call options, and the read-only variant. */
export interface ScriptCallOptions extends CallOptions {
  /** EVALSHA_RO / EVAL_RO (Redis 7+) for this call; by default as the script was declared. */
  readonly readonly?: boolean
}

/**
 * A Lua script read from its `.lua` file and checked against its KEYS/ARGV header: `run` sends EVALSHA
 * (EVAL once on NOSCRIPT); `command` gives its command line for a pipeline or MULTI.
 */
export interface Script<K extends string = string, A extends string = string> {
  readonly name: string
  readonly sha: string
  /** The assembled source (its `--@include` lines replaced by the snippets). */
  readonly source: string
  readonly keys: readonly K[]
  readonly args: readonly A[]
  /** The reason given with `reviewed`, or null. */
  readonly reviewed: string | null
  /**
   * The EVALSHA command line for these keys and arguments (for pipelines and MULTI); `rest`:
   * repeated arguments appended after the named ones (a batch of n groups, say).
   */
  command(
    keys: Readonly<Record<K, string>>,
    args: Readonly<Record<A, RedisArg>>,
    rest?: readonly RedisArg[],
  ): Command
  /**
   * Runs the script: EVALSHA (EVALSHA_RO when read-only), and on NOSCRIPT (a server that never
   * saw it, or after SCRIPT FLUSH, a restart or a failover) EVAL with the source once, which
   * also caches it there. One round trip in the common case, two on a cold server. `options`
   * are the client's call options (timeoutMs, buffers, allow, waitReplicas) and `readonly`.
   */
  run<T extends Reply = Reply>(
    db: Executor,
    keys: Readonly<Record<K, string>>,
    args: Readonly<Record<A, RedisArg>>,
    options?: ScriptCallOptions,
  ): Promise<T>
  /**
   * Runs a line built by `command` (e.g. with repeated arguments appended after the named
   * ones) as `run` does.
   */
  runCommand<T extends Reply = Reply>(db: Executor, command: Command, options?: CallOptions): Promise<T>
  /**
   * Several lines of this script in one round trip (one pipeline; on a Cluster they must share
   * a slot). On NOSCRIPT none of them ran: the same batch goes again with EVAL, once.
   */
  batch(db: Executor, commands: readonly Command[], options?: Omit<BatchOptions, 'atomic'>): Promise<Reply[]>
}

/**
 * Declares a Lua script kept in a `.lua` file whose `--[[ ]]` header documents every KEYS[i] and ARGV[i];
 * refuses (SCRIPT_INVALID) a file whose header and body disagree, so that keys and arguments are named at
 * every call.
 */
export function defineScript<const K extends string, const A extends string>(
  spec: ScriptSpec<K, A>,
): Script<K, A> {
  const name = checkName(spec?.name)
  strictOptions(`defineScript '${name}'`, spec, ['name', 'file', 'keys', 'args', 'readonly', 'reviewed'])
  if (spec.reviewed !== undefined && (typeof spec.reviewed !== 'string' || spec.reviewed.trim() === ''))
    throw invalid(name, 'reviewed is the reason its computed command names are safe, a non-empty string')
  const reviewed = spec.reviewed?.trim() ?? null
  const keys = checkNames(spec.keys, 'keys', name)
  const args = checkNames(spec.args, 'args', name)
  const source = readSource(spec.file, name)
  checkHeader(source, name, keys.length, args.length)
  const sha = createHash('sha1').update(source).digest('hex')
  // The guard reads it whether it travels as EVALSHA or EVAL (guard/scripts.ts).
  registerScriptSource(source, { name, sha, reviewed })
  const script = { sha, source }
  const head = spec.readonly === true ? 'EVALSHA_RO' : 'EVALSHA'
  const numkeys = String(keys.length)

  const line = (verb: string, k: Readonly<Record<K, string>>, a: Readonly<Record<A, RedisArg>>) => {
    // All text, so that the wire needs no conversion pass (client/wire.ts).
    const command: RedisArg[] = [verb, sha, numkeys]
    for (const key of keys) command.push(argumentOf(k, key, 'key', name))
    for (const arg of args) command.push(argumentOf(a, arg, 'argument', name))
    return command
  }

  const runCommand = async <T extends Reply = Reply>(
    db: Executor,
    command: Command,
    options?: CallOptions,
  ): Promise<T> => {
    try {
      return await evalScript<T>(db, script, command, options)
    } catch (error) {
      throw scriptError(name, error)
    }
  }

  return Object.freeze({
    name,
    sha,
    source,
    keys,
    args,
    reviewed,
    command: (
      k: Readonly<Record<K, string>>,
      a: Readonly<Record<A, RedisArg>>,
      rest?: readonly RedisArg[],
    ) => {
      const command = line(head, k, a)
      if (rest === undefined) return command
      if (!Array.isArray(rest))
        throw invalidArgument(`script '${name}': the repeated arguments (rest) must be an array`, {
          script: name,
        })
      for (let i = 0; i < rest.length; i++) {
        const arg: unknown = rest[i]
        if (
          !(
            typeof arg === 'string' ||
            Buffer.isBuffer(arg) ||
            (typeof arg === 'number' && Number.isFinite(arg))
          )
        )
          throw invalidArgument(
            `script '${name}': repeated argument ${i} must be a string, Buffer or finite number, not ${arg === null ? 'null' : typeof arg}`,
            { script: name, index: i },
          )
        command.push(arg)
      }
      return command
    },
    async run<T extends Reply = Reply>(
      db: Executor,
      k: Readonly<Record<K, string>>,
      a: Readonly<Record<A, RedisArg>>,
      options?: ScriptCallOptions,
    ): Promise<T> {
      if (options?.readonly === undefined) return runCommand<T>(db, line(head, k, a), options)
      const { readonly, ...call } = options
      return runCommand<T>(db, line(readonly ? 'EVALSHA_RO' : 'EVALSHA', k, a), call)
    },
    runCommand,
    async batch(
      db: Executor,
      commands: readonly Command[],
      options?: Omit<BatchOptions, 'atomic'>,
    ): Promise<Reply[]> {
      try {
        return await batchScripts(db, commands, options)
      } catch (error) {
        throw scriptError(name, error)
      }
    },
  })
}

/**
 * The toolkit's one EVALSHA → EVAL fallback: sends `command` (an EVALSHA or EVALSHA_RO line of
 * `script`) and, on NOSCRIPT, the same line with EVAL / EVAL_RO and the source, once. Errors
 * come back as the server sent them; `Script.run` names the script in them (SCRIPT_ERROR).
 */
export async function evalScript<T extends Reply = Reply>(
  db: Executor,
  script: { readonly sha: string; readonly source: string },
  command: Command,
  options?: CallOptions,
): Promise<T> {
  try {
    return await db.call<T>(command, options)
  } catch (error) {
    if (!isNoScript(error) || command[1] !== script.sha) throw error
    return db.call<T>(withSource(command, script.source), options)
  }
}

/**
 * Commands sent together (`db.batch`, not atomic) whose EVALSHA lines name `defineScript`
 * scripts: on NOSCRIPT the batch goes again, once, each such line carrying its script's source
 * (EVAL). Only a script the server has never seen fails with NOSCRIPT, and it did not run; the
 * other commands of the batch run twice, so they must be safe to repeat.
 */
export async function batchScripts(
  db: Executor,
  commands: readonly Command[],
  options?: Omit<BatchOptions, 'atomic'>,
): Promise<Reply[]> {
  try {
    return await db.batch(commands, options)
  } catch (error) {
    if (!isNoScript(error)) throw error
    return db.batch(commands.map(withDeclaredSource), options)
  }
}

/** One command; an EVALSHA line of a `defineScript` script falls back to EVAL on NOSCRIPT. */
export function callScripts<T extends Reply = Reply>(
  db: Executor,
  command: Command,
  options?: CallOptions,
): Promise<T> {
  const declared = declaredScriptOf(command)
  return declared === undefined ? db.call<T>(command, options) : evalScript<T>(db, declared, command, options)
}

/** The declared script an EVALSHA (EVALSHA_RO) line names, if any. */
function declaredScriptOf(command: Command): { readonly sha: string; readonly source: string } | undefined {
  const verb = command[0]
  return verb === 'EVALSHA' || verb === 'EVALSHA_RO' ? declaredBySha(String(command[1])) : undefined
}

/** An EVALSHA line of a declared script as its EVAL line; any other command as it is. */
function withDeclaredSource(command: Command): Command {
  const declared = declaredScriptOf(command)
  return declared === undefined ? command : withSource(command, declared.source)
}

/**
 * The EVAL (EVAL_RO) line of an EVALSHA (EVALSHA_RO) line: the source in place of the SHA. A
 * line a typed operation marked with its entry (markDeclared) keeps the mark.
 */
function withSource(command: Command, source: string): Command {
  const line = command.slice()
  line[0] = command[0] === 'EVALSHA_RO' ? 'EVAL_RO' : 'EVAL'
  line[1] = source
  const declared = declaredKeyOf(command)
  return declared === undefined ? line : markDeclared(line, declared)
}

/** The server did not have the script cached: the one error the fallback answers. */
function isNoScript(error: unknown): boolean {
  return error instanceof RedisExpertError && error.details.redisCode === 'NOSCRIPT'
}

/**
 * A failure inside the script (a Lua error, or an error reply the script returns on
 * purpose) becomes SCRIPT_ERROR naming the script; transport errors stay what they are.
 */
export function scriptError(name: string, error: unknown): unknown {
  if (!(error instanceof RedisExpertError) || error.code !== 'COMMAND_ERROR') return error
  const reply = String(error.details.reply ?? error.message)
  return new RedisExpertError('SCRIPT_ERROR', `script '${name}' failed: ${reply}`, {
    cause: error,
    details: { script: name, reply, redisCode: error.details.redisCode },
  })
}

function readSource(file: URL | string, name: string): string {
  const path = file instanceof URL ? fileURLToPath(file) : file
  if (typeof path !== 'string' || !path.endsWith('.lua'))
    throw invalid(name, 'file must be a .lua file (a path or a file: URL)')
  return assemble(readLua(path, name), dirname(path), name, new Set())
}

function readLua(path: string, name: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch (error) {
    throw invalid(name, `cannot read ${path}: ${(error as Error).message}`)
  }
}

/** `--@include <name>` on a line of its own: the snippet `<name>.lua` of an `includes/` folder. */
const INCLUDE = /^--@include[ \t]+(\S+)[ \t]*$/gm
/** The toolkit's shared snippets (`src/atomic/includes`, copied to dist beside this file). */
const SHARED_INCLUDES = fileURLToPath(new URL('./includes/', import.meta.url))

/**
 * Replaces each `--@include` line with its snippet (which may include others), each snippet
 * once per script: `includes/<name>.lua` in the script's own folder first, then the shared ones.
 */
function assemble(text: string, folder: string, name: string, seen: Set<string>): string {
  return text.replace(INCLUDE, (_line, include: string) => {
    if (!/^[a-z][a-z0-9-]*$/.test(include))
      throw invalid(name, `--@include takes a snippet name in kebab-case, got '${include}'`)
    if (seen.has(include)) return `-- (${include}: included above)`
    seen.add(include)
    const local = join(folder, 'includes', `${include}.lua`)
    const path = existsSync(local) ? local : join(SHARED_INCLUDES, `${include}.lua`)
    if (!existsSync(path))
      throw invalid(
        name,
        `--@include ${include}: no ${include}.lua in ${join(folder, 'includes')} or ${SHARED_INCLUDES}`,
      )
    return assemble(readLua(path, name).trimEnd(), folder, name, seen)
  })
}

/**
 * The header must document every key and argument, and the body may not reach past them:
 * a script that touches an undeclared KEYS[n] would escape the slot and durability checks.
 */
function checkHeader(source: string, name: string, keyCount: number, argCount: number): void {
  const header = /^\s*--\[\[([\s\S]*?)\]\]/.exec(source)?.[1] ?? ''
  for (let i = 1; i <= keyCount; i++)
    if (!header.includes(`KEYS[${i}]`)) throw invalid(name, `its header comment does not document KEYS[${i}]`)
  for (let i = 1; i <= argCount; i++)
    if (!header.includes(`ARGV[${i}]`)) throw invalid(name, `its header comment does not document ARGV[${i}]`)
  for (const match of source.matchAll(/KEYS\[(\d+)\]/g))
    if (Number(match[1]) > keyCount)
      throw invalid(name, `uses KEYS[${match[1]}] but declares ${keyCount} keys`)
  for (const match of source.matchAll(/ARGV\[(\d+)\]/g))
    if (Number(match[1]) > argCount)
      throw invalid(name, `uses ARGV[${match[1]}] but declares ${argCount} args`)
}

function checkName(name: unknown): string {
  if (typeof name !== 'string' || !/^[a-z][a-z0-9-]*$/.test(name))
    throw new RedisExpertError(
      'SCRIPT_INVALID',
      `a script name is lower-case kebab-case, got ${JSON.stringify(name)}`,
    )
  return name
}

function checkNames<N extends string>(names: readonly N[], what: string, script: string): readonly N[] {
  if (!Array.isArray(names) || names.some((n) => typeof n !== 'string' || n === ''))
    throw invalid(script, `${what} must be an array of names`)
  if (new Set(names).size !== names.length) throw invalid(script, `${what} has a duplicate name`)
  return Object.freeze([...names])
}

function argumentOf<N extends string, V>(
  values: Readonly<Record<N, V>>,
  name: N,
  what: string,
  script: string,
): V {
  const value = values?.[name]
  if (value === undefined || value === null)
    throw invalidArgument(`script '${script}': missing ${what} '${name}'`, { script, [what]: name })
  return value
}

function invalid(name: string, message: string): RedisExpertError {
  return new RedisExpertError('SCRIPT_INVALID', `script '${name}': ${message}`, { details: { script: name } })
}
