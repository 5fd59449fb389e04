import { type Command, Option } from 'commander'
import { connect } from '../connect.js'
import {
  isKeyspace,
  type Keyspace,
  renderDecisions,
  renderSchema,
  type ServerTraits,
} from '../keyspace/index.js'
import { loadKeyspaces } from './keyspace-module.js'

interface SchemaOptions {
  readonly export?: string
  readonly format: 'md' | 'json' | 'text'
  readonly decisions?: boolean
  readonly url?: string
  readonly cluster?: boolean
}

/**
 * `redis-expert schema <file>`: prints the Key Schema table (or, with --decisions, the decision
 * log) of the keyspaces a module exports. TypeScript modules are loaded through tsx.
 */
export function registerSchema(program: Command): void {
  program
    .command('schema')
    .description('print the Key Schema table (or the decision log) of the keyspaces a module exports')
    .argument('<file>', 'a .ts or .js module exporting keyspaces built with defineKeyspace()')
    .option('--export <name>', 'only this export (default: every exported keyspace)')
    .addOption(
      new Option('--format <format>', 'output format').choices(['text', 'md', 'json']).default('text'),
    )
    .option('--decisions', 'print the decision log: the five questions answered for every entry')
    .option('--url <url>', "predict encodings with this server's listpack limits (default: Redis defaults)")
    .option('--cluster', 'treat --url as a Cluster root node')
    .action(async (file: string, options: SchemaOptions) => {
      try {
        process.stdout.write(await schemaReport(file, options))
      } catch (error) {
        process.stderr.write(
          `redis-expert schema: ${error instanceof Error ? error.message : String(error)}\n`,
        )
        process.exitCode = 1
      }
    })
}

/** The report as text; exported for tests and for programs that embed the CLI. */
export async function schemaReport(file: string, options: SchemaOptions): Promise<string> {
  const keyspaces = await loadKeyspaces(file, options.export)
  const traits = options.url ? await serverTraits(options.url, options.cluster === true) : {}
  const format = options.format
  if (options.decisions) {
    if (format === 'json')
      return renderDecisions(
        keyspaces.flatMap((ks) => ks.decisions(traits)),
        'json',
      )
    const parts = keyspaces.map(
      (ks) => heading(ks, format, keyspaces.length) + renderDecisions(ks.decisions(traits), format),
    )
    return parts.join('\n')
  }
  if (format === 'json')
    return renderSchema(
      keyspaces.flatMap((ks) => ks.describe(traits)),
      'json',
    )
  const parts = keyspaces.map(
    (ks) => heading(ks, format, keyspaces.length) + renderSchema(ks.describe(traits), format),
  )
  return parts.join('\n')
}

function heading(ks: Keyspace, format: 'md' | 'text', count: number): string {
  if (count === 1 && format === 'text') return ''
  return format === 'md' ? `## Keyspace \`${ks.namespace}\`\n\n` : `keyspace ${ks.namespace}\n\n`
}

function _keyspaceNames(module: Record<string, unknown>): string[] {
  return Object.entries(module)
    .filter(([, value]) => isKeyspace(value))
    .map(([key]) => key)
}

/** The real listpack limits and version of a server, so that predictions match it. */
async function serverTraits(url: string, cluster: boolean): Promise<ServerTraits> {
  const db = await connect(cluster ? { cluster: { rootNodes: [url] } } : { url })
  try {
    const probe = await db.probe()
    return { limits: probe.listpack, version: probe.version }
  } finally {
    await db.close()
  }
}
