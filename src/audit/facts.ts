import { parseConfig, parseInfo } from '../client/probe.js'
import type { NodeProbe } from '../client/probe-types.js'
import type { Executor, Reply } from '../common/types.js'
import { RedisExpertError } from '../errors.js'
import { declaredShas } from '../guard/script-sources.js'
import { type AclUser, parseAclList } from './acl.js'

/** One SLOWLOG entry: the command (with its subcommand for container commands) and how long it ran. */
export interface SlowEntry {
  readonly command: string
  readonly micros: number
  /** Unix seconds. */
  readonly at: number
}

/** Everything the server-level rules look at, for one master. */
export interface NodeFacts {
  readonly address: string
  readonly probe: NodeProbe
  /** INFO (default sections), field → value; empty when INFO was refused (infoError says why). */
  readonly info: ReadonlyMap<string, string>
  readonly infoError: string | null
  /** The few CONFIG values the rules need beyond the probe; null when CONFIG is refused. */
  readonly config: ReadonlyMap<string, string> | null
  readonly configError: string | null
  readonly acl: readonly AclUser[] | null
  readonly aclError: string | null
  readonly slowlog: readonly SlowEntry[] | null
  readonly slowlogError: string | null
  /** Keys per logical database (INFO keyspace). */
  readonly keyspace: ReadonlyMap<number, { readonly keys: number; readonly expires: number }>
  /** DBSIZE of the connection's database; 0 when it was refused (dbsizeError). */
  readonly dbsize: number
  readonly dbsizeError: string | null
  /** The connection's logical database. */
  readonly database: number
  /**
   * How many of the scripts declared with defineScript in this process (the toolkit's and the
   * application's) the node has cached (SCRIPT EXISTS); 0 when none is declared or it was refused.
   */
  readonly declaredScripts: number
  readonly declaredScriptsError: string | null
}

/** CONFIG parameters read besides the probe's. Never `requirepass`: the audit has no business holding secrets. */
export const CONFIG_NAMES = [
  'protected-mode',
  'bind',
  'list-compress-depth',
  'maxclients',
  'slowlog-log-slower-than',
] as const

/** Commands whose first argument is a subcommand worth keeping in SLOWLOG groups. */
const CONTAINERS = new Set([
  'ACL',
  'CLIENT',
  'CLUSTER',
  'COMMAND',
  'CONFIG',
  'DEBUG',
  'FUNCTION',
  'LATENCY',
  'MEMORY',
  'MODULE',
  'OBJECT',
  'SCRIPT',
  'XGROUP',
  'XINFO',
])

export function parseSlowlog(reply: Reply): SlowEntry[] {
  if (!Array.isArray(reply)) return []
  const entries: SlowEntry[] = []
  for (const raw of reply) {
    if (!Array.isArray(raw)) continue
    const args = Array.isArray(raw[3]) ? raw[3].map((a) => String(a)) : []
    const name = (args[0] ?? '?').toUpperCase()
    const command = CONTAINERS.has(name) && args[1] ? `${name} ${args[1].toUpperCase()}` : name
    entries.push({ command, micros: Number(raw[2] ?? 0), at: Number(raw[1] ?? 0) })
  }
  return entries
}

/** `db0:keys=12,expires=3,avg_ttl=0` lines of INFO keyspace. */
export function parseKeyspace(
  info: ReadonlyMap<string, string>,
): Map<number, { keys: number; expires: number }> {
  const dbs = new Map<number, { keys: number; expires: number }>()
  for (const [field, value] of info) {
    const db = /^db(\d+)$/.exec(field)
    if (!db) continue
    const parts = new Map(value.split(',').map((kv) => kv.split('=') as [string, string]))
    dbs.set(Number(db[1]), {
      keys: Number(parts.get('keys') ?? 0),
      expires: Number(parts.get('expires') ?? 0),
    })
  }
  return dbs
}

/** `id=7 addr=... db=2 ...` → 2. */
export function parseClientDb(reply: Reply): number {
  const db = /(?:^|\s)db=(\d+)/.exec(String(reply))
  return db ? Number(db[1]) : 0
}

/** Why a command was refused, in a few words: `NOPERM`, `unknown command` (renamed away), or the message. */
export function refusal(error: unknown): string {
  if (error instanceof RedisExpertError) {
    const reply = String(error.details.reply ?? error.message)
    if (/^NOPERM/.test(reply)) return 'NOPERM (the ACL user may not run it)'
    if (/unknown (sub)?command/i.test(reply)) return 'unknown command (renamed or not supported)'
    return reply
  }
  return error instanceof Error ? error.message : String(error)
}

type NamedExecutor = Executor & { readonly address: string }

async function attempt<T>(
  run: () => Promise<T>,
): Promise<{ value: T; error: null } | { value: null; error: string }> {
  try {
    return { value: await run(), error: null }
  } catch (error) {
    if (error instanceof RedisExpertError && error.code !== 'COMMAND_ERROR') throw error
    return { value: null, error: refusal(error) }
  }
}

/** ACL DRYRUN (7.0+) is exact, selectors and all; without it the parsed rules stand. */
async function dryRun(node: NamedExecutor, users: AclUser[]): Promise<AclUser[]> {
  const asked = users.filter((u) => u.enabled && !u.allCommands)
  if (asked.length === 0) return users
  const commands = asked.flatMap((u) => [
    ['ACL', 'DRYRUN', u.name, 'KEYS', '*'],
    ['ACL', 'DRYRUN', u.name, 'FLUSHALL'],
  ])
  const replies = await node.batch(commands).catch(() => null)
  if (!replies) return users
  return users.map((user) => {
    const at = asked.indexOf(user)
    if (at < 0) return user
    return { ...user, keys: replies[2 * at] === 'OK', flushall: replies[2 * at + 1] === 'OK' }
  })
}

/** Reads what the server-level rules need from one master; refused commands are recorded, not fatal. */
export async function gatherFacts(node: NamedExecutor, probe: NodeProbe): Promise<NodeFacts> {
  const shas = declaredShas()
  const [info, config, acl, slowlog, client, dbsize, scripts] = await Promise.all([
    // An ACL user may lack INFO (or DBSIZE): the audit goes on without those facts and says so.
    attempt(() => node.call(['INFO'])),
    attempt(async () => {
      // One CONFIG GET per name: Redis 6 takes a single pattern per call.
      const replies = await node.batch(CONFIG_NAMES.map((name) => ['CONFIG', 'GET', name]))
      return new Map(replies.flatMap((reply) => [...parseConfig(reply)]))
    }),
    attempt(async () => dryRun(node, parseAclList(await node.call(['ACL', 'LIST'])))),
    attempt(async () => parseSlowlog(await node.call(['SLOWLOG', 'GET', 128]))),
    attempt(() => node.call(['CLIENT', 'INFO'])),
    attempt(() => node.call(['DBSIZE'])),
    attempt(async () => (shas.length === 0 ? [] : node.call(['SCRIPT', 'EXISTS', ...shas]))),
  ])
  const fields = parseInfo(info.value === null ? '' : String(info.value))
  return {
    address: node.address,
    probe,
    info: fields,
    infoError: info.error,
    config: config.value,
    configError: config.error,
    acl: acl.value,
    aclError: acl.error,
    slowlog: slowlog.value,
    slowlogError: slowlog.error,
    keyspace: parseKeyspace(fields),
    dbsize: dbsize.value === null ? 0 : Number(dbsize.value),
    dbsizeError: dbsize.error,
    database: client.value === null ? 0 : parseClientDb(client.value),
    declaredScripts: Array.isArray(scripts.value) ? scripts.value.filter((cached) => cached === 1).length : 0,
    declaredScriptsError: scripts.error,
  }
}
