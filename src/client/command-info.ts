import type { Command, RedisArg, Reply } from '../common/types.js'

/** What the server says about one command (from `COMMAND`), enough to find its keys. */
export interface CommandSpec {
  readonly name: string
  /** Negative arity means "at least |arity| arguments", counting the name. */
  readonly arity: number
  readonly flags: ReadonlySet<string>
  readonly firstKey: number
  /** Negative counts from the end: -1 is the last argument. */
  readonly lastKey: number
  readonly step: number
  readonly aclCategories: ReadonlySet<string>
  /** Container commands (OBJECT, CONFIG, XINFO...) describe their keys per subcommand. */
  readonly subcommands: ReadonlyMap<string, CommandSpec>
}

/**
 * Key positions and flags per command, from the server's own `COMMAND` reply: how the guard finds the keys
 * of any command, module commands included.
 */
export type CommandTable = ReadonlyMap<string, CommandSpec>

/** Parses the RESP2 reply of `COMMAND` (or `COMMAND INFO ...`). */
export function parseCommandTable(reply: Reply): CommandTable {
  const table = new Map<string, CommandSpec>()
  if (!Array.isArray(reply)) return table
  for (const entry of reply) {
    const spec = parseEntry(entry)
    // Both cases, so that the lookup on every command needs no toLowerCase() in the usual spellings.
    if (spec) table.set(spec.name, spec).set(spec.name.toUpperCase(), spec)
  }
  return table
}

function parseEntry(entry: Reply): CommandSpec | null {
  if (!Array.isArray(entry) || typeof entry[0] !== 'string') return null
  const [name, arity, flags, firstKey, lastKey, step, categories, , , subcommands] = entry
  const subs = new Map<string, CommandSpec>()
  if (Array.isArray(subcommands)) {
    for (const sub of subcommands) {
      const spec = parseEntry(sub)
      // Subcommands are named "container|sub".
      if (spec) subs.set(spec.name.slice(spec.name.indexOf('|') + 1), spec)
    }
  }
  return {
    name: name.toLowerCase(),
    arity: Number(arity),
    flags: new Set(stringsOf(flags)),
    firstKey: Number(firstKey),
    lastKey: Number(lastKey),
    step: Number(step),
    aclCategories: new Set(stringsOf(categories).map((c) => c.replace(/^@/, ''))),
    subcommands: subs,
  }
}

function stringsOf(reply: Reply | undefined): string[] {
  return Array.isArray(reply) ? reply.filter((x): x is string => typeof x === 'string') : []
}

export function argText(arg: RedisArg | undefined): string {
  if (arg === undefined) return ''
  return typeof arg === 'string' ? arg : arg.toString()
}

/** The spec that governs this command line: the subcommand's where the command is a container. */
export function specFor(table: CommandTable, command: Command): CommandSpec | undefined {
  const name = argText(command[0])
  const spec = table.get(name) ?? table.get(name.toLowerCase())
  if (!spec || spec.subcommands.size === 0) return spec
  return spec.subcommands.get(argText(command[1]).toLowerCase()) ?? spec
}

/**
 * The keys a command line addresses. Fixed positions come from the server's table;
 * commands whose keys move (`movablekeys`: EVAL's numkeys, XREAD's STREAMS, ...) are
 * decoded by the rules below, which cover every such command of Redis 7.
 */
export function commandKeys(table: CommandTable, command: Command): RedisArg[] {
  const spec = specFor(table, command)
  if (!spec) return []
  const name = spec.name
  const movable = movableKeys(name, command)
  if (movable) return movable
  if (spec.firstKey <= 0) return []
  const last = spec.lastKey < 0 ? command.length + spec.lastKey : spec.lastKey
  const keys: RedisArg[] = []
  for (let i = spec.firstKey; i <= last && i < command.length; i += Math.max(1, spec.step)) {
    const key = command[i]
    if (key !== undefined) keys.push(key)
  }
  return keys
}

/** The first key a command addresses — its routing key on a Cluster — without building the list. */
export function firstKey(table: CommandTable, command: Command): RedisArg | undefined {
  const spec = specFor(table, command)
  if (!spec) return undefined
  const movable = movableKeys(spec.name, command)
  if (movable) return movable[0]
  return spec.firstKey > 0 ? command[spec.firstKey] : undefined
}

function movableKeys(name: string, command: Command): RedisArg[] | null {
  switch (name) {
    case 'eval':
    case 'evalsha':
    case 'eval_ro':
    case 'evalsha_ro':
    case 'fcall':
    case 'fcall_ro':
      return countedKeys(command, 2)
    case 'zunion':
    case 'zinter':
    case 'zdiff':
    case 'zintercard':
    case 'sintercard':
    case 'lmpop':
    case 'zmpop':
      return countedKeys(command, 1)
    case 'blmpop':
    case 'bzmpop':
      return countedKeys(command, 2)
    case 'zunionstore':
    case 'zinterstore':
    case 'zdiffstore': {
      const rest = countedKeys(command, 2)
      return command[1] === undefined ? rest : [command[1], ...rest]
    }
    case 'xread':
    case 'xreadgroup':
      return streamKeys(command)
    case 'sort':
    case 'sort_ro':
      return command[1] === undefined ? [] : [command[1], ...storeKey(command)]
    case 'migrate': {
      const keysAt = command.findIndex((arg, i) => i > 5 && argText(arg).toUpperCase() === 'KEYS')
      if (keysAt > 0) return command.slice(keysAt + 1)
      return command[3] !== undefined && argText(command[3]) !== '' ? [command[3]] : []
    }
    case 'georadius':
    case 'georadiusbymember':
      return command[1] === undefined ? [] : [command[1], ...storeKey(command)]
    default:
      return null
  }
}

/** `numkeys key [key ...]` with numkeys at `at`. */
function countedKeys(command: Command, at: number): RedisArg[] {
  const count = Number(argText(command[at]))
  if (!Number.isInteger(count) || count <= 0) return []
  return command.slice(at + 1, at + 1 + count)
}

function streamKeys(command: Command): RedisArg[] {
  const at = command.findIndex((arg) => argText(arg).toUpperCase() === 'STREAMS')
  if (at < 0) return []
  const rest = command.slice(at + 1)
  return rest.slice(0, Math.floor(rest.length / 2))
}

function storeKey(command: Command): RedisArg[] {
  const at = command.findIndex((arg, i) => i > 1 && /^STORE(DIST)?$/i.test(argText(arg)))
  const key = at > 0 ? command[at + 1] : undefined
  return key === undefined ? [] : [key]
}

export function isReadonly(table: CommandTable, command: Command): boolean {
  return specFor(table, command)?.flags.has('readonly') ?? false
}
