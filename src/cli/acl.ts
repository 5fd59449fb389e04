import { type Command, Option } from 'commander'
import type { Script } from '../atomic/script.js'
import { connect } from '../connect.js'
import { RedisExpertError } from '../errors.js'
import { type AclFormat, generateAcl, renderAcl, renderNotes, setUserCommands } from '../report/acl/index.js'
import { isScript } from '../report/python/index.js'
import { loadKeyspaceModule } from './keyspace-module.js'

interface AclCliOptions {
  readonly format: AclFormat
  readonly export?: string
  readonly access?: string
  readonly password?: readonly string[]
  readonly apply?: boolean
  readonly url?: string
  /** commander's --no-selectors. */
  readonly selectors?: boolean
}

/**
 * `redis-expert acl <module> [--format acl|commands|json] [--access <export>] [--password user=ENV]
 * [--apply --url <url>]`: least-privilege users for the keyspaces a module exports, from its
 * access declaration (the export named `access`, or --access) or the default (app + auditor).
 */
export function registerAcl(program: Command): void {
  program
    .command('acl')
    .description('least-privilege ACL users for the keyspaces (and access declaration) a module exports')
    .argument('<file>', 'a .ts or .js module exporting keyspaces (and optionally `access`, scripts)')
    .addOption(
      new Option('--format <format>', 'output format').choices(['acl', 'commands', 'json']).default('acl'),
    )
    .option('--export <name>', 'only this keyspace export (default: every exported keyspace)')
    .option('--access <name>', 'the export holding the access declaration (default: `access` when exported)')
    .option(
      '--password <user=ENV>',
      "a user's password from an environment variable (written as its SHA-256)",
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option('--no-selectors', 'Redis 6: no selectors (every granted command then runs on every granted key)')
    .option('--apply', 'run the ACL SETUSER commands on --url')
    .option('--url <url>', 'the server for --apply')
    .action(async (file: string, options: AclCliOptions) => {
      process.stdout.write(await aclReport(file, options, (notes) => process.stderr.write(notes)))
    })
}

/** The command without the process around it: for tests and programs that embed the CLI. */
export async function aclReport(
  file: string,
  options: AclCliOptions,
  /** Where an aclfile's notes go (it cannot hold comments): the CLI prints them on stderr. */
  onNotes: (notes: string) => void = () => {},
): Promise<string> {
  if (options.apply && !options.url)
    throw new RedisExpertError('INVALID_ARGUMENT', 'acl --apply needs --url <server>')
  const { keyspaces, exports } = await loadKeyspaceModule(file, options.export)
  const scripts = Object.entries(exports)
    .filter(([name, value]) => name !== 'default' && isScript(value))
    .map(([, value]) => value as Script)
  const accessName = options.access ?? 'access'
  if (options.access !== undefined && !(accessName in exports))
    throw new RedisExpertError(
      'INVALID_ARGUMENT',
      `${file} has no export named ${JSON.stringify(accessName)}`,
    )
  const passwords: Record<string, string> = {}
  for (const spec of options.password ?? []) {
    const [user, variable] = spec.split('=')
    const value = variable ? process.env[variable] : undefined
    if (!user || !variable || value === undefined)
      throw new RedisExpertError(
        'INVALID_ARGUMENT',
        `--password ${spec}: write <user>=<ENV_VAR>, with the variable set`,
      )
    passwords[user] = value
  }
  const plan = generateAcl({
    keyspaces,
    scripts,
    access: exports[accessName],
    passwords,
    selectors: options.selectors !== false,
  })
  const text = renderAcl(plan, options.format)
  if (options.format === 'acl') onNotes(renderNotes(plan))
  if (!options.apply) return text
  const db = await connect({ url: options.url! })
  try {
    for (const command of setUserCommands(plan)) await db.call(command)
  } finally {
    await db.close()
  }
  onNotes(`# applied to the server: ${plan.users.map((u) => u.name).join(', ')}\n`)
  return text
}
