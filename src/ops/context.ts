import { defineScript, evalScript } from '../atomic/script.js'
import type { Codec } from '../codec/types.js'
import { jitteredTtl } from '../common/ttl.js'
import type { CallOptions, Command, Executor, RedisArg, Reply } from '../common/types.js'
import { RedisExpertError } from '../errors.js'
import type { Violation } from '../guard/types.js'
import type { EntryPolicy } from '../keyspace/declaration.js'
import { markDeclared } from '../keyspace/declared-commands.js'
import type { EntryDeclarations, Keyspace } from '../keyspace/define.js'

/**
 * What typed operations run on: any executor; a connected client also takes the keyspace's
 * declarations for its guard and hears of whole reads beyond `maxItems`.
 */
export interface TypedExecutor extends Executor {
  /** Makes a keyspace's declarations known to the executor's guard (bounds, TTL policy, durability). */
  declare?<E extends EntryDeclarations>(keyspace: Keyspace<string, E>): void
  /**
   * A whole read returned more items than the key's declared `maxItems`: the guard's mode decides
   * (strict throws GUARD_UNBOUNDED, warn emits a `violation` event); counted in stats().guard.exceeded.
   */
  boundExceeded?(violation: Violation): void
}

/**
 * Everything an operation on one key needs. One per handle; handles are cheap. The commands it
 * sends are marked with it (markDeclared): the guard reads the entry's policy from the handle
 * instead of parsing the key back.
 */
export interface KeyContext {
  readonly executor: TypedExecutor
  readonly policy: EntryPolicy
  readonly key: string
  /** Source of jitter; Math.random unless a test injects one. */
  readonly random: () => number
}

/**
 * Whether replies come back as Buffers: for every entry with a codec. A binary codec needs the
 * bytes; a text codec gets them checked as UTF-8 by `decode` — decoding in the parser would turn
 * bytes that are not text into U+FFFD in silence, and a write-back would then corrupt the value.
 */
export function buffers(ctx: KeyContext): boolean {
  return ctx.policy.codec !== null
}

/** The PEXPIRE that gives a write its (jittered) TTL, or null for a persistent entry. */
export function expireCommand(ctx: KeyContext): Command | null {
  const ttl = ctx.policy.ttlMs
  return ttl === null ? null : ['PEXPIRE', ctx.key, jitteredTtl(ttl, ctx.policy.jitter, ctx.random)]
}

/** `PX <ms>` for SET, or nothing for a persistent entry. */
export function pxArgs(ctx: KeyContext): (string | number)[] {
  const ttl = ctx.policy.ttlMs
  return ttl === null ? [] : ['PX', jitteredTtl(ttl, ctx.policy.jitter, ctx.random)]
}

/**
 * The options of a write: Buffers for a binary codec and, for an entry declared with
 * `replicas`, WAIT for them in the same round trip (NOT_REPLICATED when too few acknowledge).
 */
export function writeOptions(ctx: KeyContext): CallOptions {
  const replicas = ctx.policy.replicas
  if (replicas === null) return { buffers: buffers(ctx) }
  return { buffers: buffers(ctx), waitReplicas: replicas, replicaTimeoutMs: ctx.policy.replicaTimeoutMs }
}

/** One write command sent on its own (it carries its TTL itself, or the entry has none). */
export function writeOne(ctx: KeyContext, command: Command): Promise<Reply> {
  return ctx.executor.call(markDeclared(command, ctx), writeOptions(ctx))
}

/**
 * Runs the commands of one write and, for an entry with a TTL, its PEXPIRE — in one round trip,
 * all or nothing: one script (write.lua) runs the commands and then PEXPIRE, so a write that
 * fails (WRONGTYPE, a non-integer HINCRBY, a stale XADD id) leaves the key exactly as it was,
 * value and TTL, and no key ever exists without its TTL. (MULTI/EXEC could not: EXEC runs
 * PEXPIRE even when the write before it failed.) Without a TTL one command goes alone and
 * several (RPUSH + LTRIM) in MULTI/EXEC. Resolves to the replies of `commands`. An entry
 * declared with `replicas` also waits for them (WAIT, in the same round trip).
 */
export async function write(ctx: KeyContext, commands: readonly Command[]): Promise<Reply[]> {
  const expire = expireCommand(ctx)
  const options = writeOptions(ctx)
  if (expire === null) {
    if (commands.length === 1) return [await ctx.executor.call(markDeclared(commands[0]!, ctx), options)]
    markDeclared(commands[0]!, ctx)
    return ctx.executor.batch(commands, { ...options, atomic: true })
  }
  const ttl = expire[2]!
  // Errors as the server sent them (WRONGTYPE stays a COMMAND_ERROR of the typed operation); the
  // EVAL fallback keeps the line's entry mark (evalScript).
  const reply = await evalScript(
    ctx.executor,
    typedWrite,
    markDeclared(writeLine(ctx, commands, ttl), ctx),
    options,
  )
  if (!Array.isArray(reply) || reply.length !== commands.length)
    throw new RedisExpertError('COMMAND_ERROR', `${ctx.key}: unexpected reply from the typed-write script`, {
      details: { key: ctx.key, entry: ctx.policy.name },
    })
  return reply
}

const typedWrite = defineScript({
  name: 'typed-write',
  file: new URL('./write.lua', import.meta.url),
  keys: ['key'],
  args: ['ttlMs', 'count'],
  reviewed:
    'runs only the typed write commands of its SUM/LAST/ANY/SINGLE tables (HSET, RPUSH, ZADD, PFADD, ...), checked before the first one runs',
})

/** EVALSHA of write.lua: each command as its argument count, its name and its arguments. */
function writeLine(ctx: KeyContext, commands: readonly Command[], ttl: RedisArg): Command {
  const keys: RedisArg[] = [ctx.key]
  const args: RedisArg[] = [ttl, commands.length]
  for (const command of commands) {
    const name = command[0]!
    if (command[1] !== ctx.key) throw new Error(`a typed write addresses its own key first: ${String(name)}`)
    if (name === 'PFMERGE') {
      for (let i = 2; i < command.length; i++) keys.push(command[i]!)
      args.push(0, name)
    } else {
      args.push(command.length - 2, name)
      for (let i = 2; i < command.length; i++) args.push(command[i]!)
    }
  }
  return ['EVALSHA', typedWrite.sha, keys.length, ...keys, ...args]
}

/**
 * Runs one read; for a sliding entry, pipelines a PEXPIRE after it (one round trip; no MULTI,
 * since a read has nothing to roll back and the PEXPIRE is a no-op on a missing key).
 */
export async function read(ctx: KeyContext, command: Command, forceText = false): Promise<Reply> {
  const options = { buffers: !forceText && buffers(ctx) }
  markDeclared(command, ctx)
  if (!ctx.policy.sliding) return ctx.executor.call(command, options)
  const [reply] = await ctx.executor.batch([command, expireCommand(ctx)!], options)
  return reply as Reply
}

/**
 * A read of a bounded entry returned `items` items: more than its declared `maxItems` means the
 * declaration that allowed a whole read is wrong (a writer grows the key past it). Reported to
 * the client's guard, whose mode decides: strict throws GUARD_UNBOUNDED, warn emits a `violation`
 * event, and both count it (stats().guard.exceeded). Streams are not checked: MAXLEN ~ trims
 * whole nodes only, so a capped stream may briefly hold a few more entries than its bound.
 */
export function checkBound(ctx: KeyContext, command: string, items: number): void {
  const max = ctx.policy.maxItems
  if (max === null || items <= max || ctx.executor.boundExceeded === undefined) return
  ctx.executor.boundExceeded({
    rule: 'unbounded',
    code: 'GUARD_UNBOUNDED',
    command: `${command} ${ctx.key}`,
    key: ctx.key,
    message: `${command} of '${ctx.key}' returned ${items} items, but entry '${ctx.policy.name}' declares maxItems ${max} — the bound that allows reading it whole`,
    fix: `find the writer that grows it past ${max} (typed writes trim only capped lists and streams), declare the real bound (≤ the client's maxRange), or read it with scan()`,
  })
}

/** Rethrows a codec error with the key (and field) it happened on. */
export function withKey(ctx: KeyContext, error: unknown, where?: { field?: string }): never {
  if (
    error instanceof RedisExpertError &&
    (error.code === 'DECODE_FAILED' || error.code === 'ENCODE_FAILED')
  ) {
    const at = where?.field === undefined ? ctx.key : `${ctx.key} field ${JSON.stringify(where.field)}`
    throw new RedisExpertError(error.code, `${at}: ${error.message}`, {
      cause: error.cause ?? error,
      details: { ...error.details, key: ctx.key, entry: ctx.policy.name, ...where },
    })
  }
  throw error
}

function codecOf(ctx: KeyContext): Codec<unknown> {
  const codec = ctx.policy.codec
  if (codec === null) throw new Error(`entry '${ctx.policy.name}' has no codec`)
  return codec
}

export function encode(ctx: KeyContext, value: unknown, field?: string): string | Buffer {
  try {
    return codecOf(ctx).encode(value)
  } catch (error) {
    return withKey(ctx, error, field === undefined ? undefined : { field })
  }
}

export function decode<T>(ctx: KeyContext, reply: Reply, field?: string): T {
  if (typeof reply !== 'string' && !Buffer.isBuffer(reply)) {
    throw new RedisExpertError(
      'DECODE_FAILED',
      `${ctx.key}: expected a bulk string reply, got ${typeof reply}`,
      {
        details: { key: ctx.key, entry: ctx.policy.name, ...(field === undefined ? {} : { field }) },
      },
    )
  }
  const codec = codecOf(ctx)
  const value = Buffer.isBuffer(reply) && !codec.binary ? utf8Text(ctx, codec, reply, field) : reply
  try {
    return codec.decode(value) as T
  } catch (error) {
    return withKey(ctx, error, field === undefined ? undefined : { field })
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** A text codec's value as text; bytes that are not UTF-8 are DECODE_FAILED, never U+FFFD. */
function utf8Text(ctx: KeyContext, codec: Codec<unknown>, reply: Buffer, field?: string): string {
  try {
    return UTF8.decode(reply)
  } catch (error) {
    const at = field === undefined ? ctx.key : `${ctx.key} field ${JSON.stringify(field)}`
    throw new RedisExpertError(
      'DECODE_FAILED',
      `${at}: the stored value (${reply.length} bytes) is not valid UTF-8, so the ${codec.name} codec cannot read it; for binary values declare the entry with codec: 'bytes' (Buffers in and out)`,
      {
        cause: error,
        details: {
          codec: codec.name,
          key: ctx.key,
          entry: ctx.policy.name,
          ...(field === undefined ? {} : { field }),
        },
      },
    )
  }
}

/** A nil reply is null; anything else is decoded. */
export function decodeOrNull<T>(ctx: KeyContext, reply: Reply, field?: string): T | null {
  return reply === null ? null : decode<T>(ctx, reply, field)
}
