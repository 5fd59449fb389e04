#!/usr/bin/env node
import { readFileSync } from 'node:fs'
import { Command } from 'commander'
import { RedisExpertError } from '../errors.js'
import { registerAcl } from './acl.js'
import { registerAudit } from './audit.js'
import { registerCodegen } from './codegen.js'
import { urlArgument, withoutUrlSecret } from './connection-options.js'
import { registerProbe } from './probe.js'
import { registerSchema } from './schema.js'

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string
}

const program = new Command('redis-expert')
  .description("A principal Redis architect's judgement as a toolkit: schema, probe, audit, codegen, acl.")
  .version(pkg.version)

// Each subcommand lives in its own file and registers itself here.
registerProbe(program)
registerSchema(program)
registerAudit(program)
registerCodegen(program)
registerAcl(program)

try {
  await program.parseAsync(process.argv)
} catch (error) {
  // Never the --url's password, whatever failed (see connection-options.ts).
  const url = urlArgument(process.argv)
  // Typed errors are the user's to act on: print the code and message, not a stack.
  if (error instanceof RedisExpertError) {
    console.error(`redis-expert: ${error.code}: ${withoutUrlSecret(error.message, url)}`)
    process.exit(1)
  }
  console.error(
    withoutUrlSecret(error instanceof Error ? (error.stack ?? error.message) : String(error), url),
  )
  process.exit(1)
}
