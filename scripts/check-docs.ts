/**
 * Docs that cannot drift: every ```ts block of README.md and docs/*.md is written to a file of its
 * own and type-checked with the project's compiler options (strict) against the sources, as a
 * user's module importing `redis-expert` would be. Blocks are fragments of one story, so a shared
 * prelude declares what they take for granted (`db`, a `catalogue` service, `Product`, ...); a
 * block's own declarations shadow the prelude's (each block is a module). A failing block is
 * printed with its markdown file and line. Run by `npm run check`; `--keep` leaves the files in
 * node_modules/.cache/redis-expert-docs-<pid> for a look.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { allBlocks, blockModules, type DocBlock } from './docs/blocks.js'

const root = fileURLToPath(new URL('../', import.meta.url))

/**
 * What the blocks take for granted: a connected client, the README's shop keyspace, an Express or
 * Fastify app, and the application's own services (a catalogue, a mailer). Declared, never
 * defined: the blocks are checked, not run (the runnable ones are self-contained).
 */
export const PRELUDE = `import type { Keyspace, RedisExpertClient, Script } from 'redis-expert'
import type { AuditAclOptions } from 'redis-expert/audit'
import type { RedisSessionStore } from 'redis-expert/structures'
import type { Express, Request, Response } from 'express'
import type { FastifyInstance } from 'fastify'
import type { RedisClientType } from 'redis'

declare global {
  /** The application's own types and services, which the docs only call. */
  interface Product { id: string; name: string; priceCents: number; tags: string[] }
  const catalogue: {
    fetch(id: string, options?: { signal?: AbortSignal }): Promise<Product | null>
    update(product: Product): Promise<Product>
  }
  function send(to: string, subject: string, options?: { signal?: AbortSignal }): Promise<void>
  function resize(url: string, width: number): Promise<string>
  function buildReport(): Promise<{ rows: number }>
  /** A store that refuses a fencing token lower than one it has seen (docs/structures.md, locks). */
  const store: { write(data: unknown, options: { fence: number }): Promise<void> }
  const data: unknown

  /** What a block takes from the blocks before it, or from the application around it. */
  const db: RedisExpertClient
  /** A declaration module's exports: the keyspace, the access declaration, a script (docs/acl.md). */
  const shop: Keyspace
  const access: NonNullable<AuditAclOptions['access']>
  const movePrice: Script
  const client: RedisClientType
  const sessions: RedisSessionStore
  const app: Express
  const fastify: FastifyInstance
  const req: Request
  const res: Response
  const secret: string
  const userId: string
  const id: string
  const cat: string
}
export {}
`

export interface BlockFailure {
  readonly block: DocBlock
  /** The markdown line the error is on. */
  readonly line: number
  readonly message: string
}

/** Type-checks the blocks; returns every error, at its markdown line. */
export function checkBlocks(blocks: readonly DocBlock[], dir: string): BlockFailure[] {
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  // ESM, so that top-level await and import.meta type-check as they do in a user's module.
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n')
  writeFileSync(join(dir, 'prelude.d.ts'), PRELUDE)
  const files = new Map<string, DocBlock>()
  for (const { block, source } of blockModules(blocks)) {
    const path = join(dir, `${block.name}.ts`)
    writeFileSync(path, source)
    files.set(path, block)
  }

  const config = ts.readConfigFile(join(root, 'tsconfig.json'), (p) => ts.sys.readFile(p))
  if (config.error) throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, '\n'))
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root)
  const options: ts.CompilerOptions = {
    ...parsed.options,
    noEmit: true,
    baseUrl: root,
    paths: {
      'redis-expert': [join(root, 'src/index.ts')],
      'redis-expert/*': [join(root, 'src/*/index.ts')],
    },
  }
  const program = ts.createProgram([join(dir, 'prelude.d.ts'), ...files.keys()], options)
  const failures: BlockFailure[] = []
  let sourceErrors = 0
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n')
    const block = d.file ? files.get(d.file.fileName) : undefined
    if (!block || !d.file || d.start === undefined) {
      // An error outside the blocks fails the check too: the prelude's here, the sources' once
      // (tsc -p tsconfig.json, which `npm run check` runs first, lists them).
      const where = d.file ? relative(root, d.file.fileName) : 'compiler'
      if (where.startsWith('src/')) sourceErrors++
      else
        failures.push({
          block: { file: where, line: 0, name: where, runnable: false, code: '' },
          line: 0,
          message,
        })
      continue
    }
    const { line } = d.file.getLineAndCharacterOfPosition(d.start)
    // Line 0 holds the imports of the blocks above, checked (and reported) in their own block.
    if (line === 0) continue
    failures.push({ block, line: block.line + line, message })
  }
  if (sourceErrors > 0) {
    const where = 'src/'
    failures.push({
      block: { file: where, line: 0, name: where, runnable: false, code: '' },
      line: 0,
      message: `${sourceErrors} type error(s) in the sources the blocks import (see tsc -p tsconfig.json)`,
    })
  }
  return failures
}

function main(): void {
  const blocks = allBlocks(root)
  const dir = join(root, 'node_modules/.cache', `redis-expert-docs-${process.pid}`)
  const failures = checkBlocks(blocks, dir)
  if (!process.argv.includes('--keep')) rmSync(dir, { recursive: true, force: true })
  for (const f of failures) console.error(`${f.block.file}:${f.line}: ${f.message}`)
  const runnable = blocks.filter((b) => b.runnable).length
  if (failures.length > 0) {
    console.error(
      `check-docs: ${failures.length} error(s) in the ${blocks.length} TypeScript blocks of the docs`,
    )
    process.exit(1)
  }
  console.log(
    `check-docs: ${blocks.length} TypeScript blocks type-check (${runnable} runnable, run by npm test)`,
  )
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main()
