#!/usr/bin/env node
import { readFileSync } from 'node:fs'
import { Command } from 'commander'
import { registerProbe } from './probe.js'

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string
}

const program = new Command('redis-expert')
  .description("A principal Redis architect's judgement as a toolkit: schema, probe, audit.")
  .version(pkg.version)

// Each subcommand lives in its own file and registers itself here.
registerProbe(program)

await program.parseAsync(process.argv)
