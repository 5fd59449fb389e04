import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { shop } from '../../examples/shop/keys.js'
import type { SchemaRow } from '../../src/keyspace/index.js'
import { type RedisServer, startRedis } from '../../src/testing/index.js'

/** Runs the real CLI through tsx, as a user would: `npx tsx src/cli/main.ts schema ...`. */
const run = promisify(execFile)
const CLI = ['tsx', 'src/cli/main.ts', 'schema']

async function cli(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run('npx', [...CLI, ...args], { cwd: process.cwd(), timeout: 60_000 })
    return { stdout, stderr, code: 0 }
  } catch (error) {
    const e = error as { stdout: string; stderr: string; code: number }
    return { stdout: e.stdout, stderr: e.stderr, code: e.code }
  }
}

let server: RedisServer

beforeAll(async () => {
  server = await startRedis({ config: { 'hash-max-listpack-entries': 8 } })
})
afterAll(async () => {
  await server?.stop()
})

// Each case starts the CLI through npx and tsx (~2 s each): give them room on a busy machine.
describe('redis-expert schema', { timeout: 90_000 }, () => {
  it('prints the JSON rows of examples/shop/keys.ts', async () => {
    const { stdout, code } = await cli('examples/shop/keys.ts', '--format', 'json')
    expect(code).toBe(0)
    const rows = JSON.parse(stdout) as SchemaRow[]
    expect(rows).toEqual(shop.describe())
    for (const row of rows) {
      for (const column of ['name', 'pattern', 'type', 'ttlMs', 'jitter', 'sliding', 'role', 'durability']) {
        expect(row).toHaveProperty(column)
      }
      for (const column of ['maxItems', 'codec', 'encoding', 'slotTag']) expect(row).toHaveProperty(column)
    }
    expect(rows.find((r) => r.name === 'board')!.ttlMs).toBeNull()
  })

  it('prints the markdown table', async () => {
    const { stdout, code } = await cli('examples/shop/keys.ts', '--format', 'md', '--export', 'shop')
    expect(code).toBe(0)
    expect(stdout).toContain('| entry | pattern | type | ttl |')
    expect(stdout).toContain('| cart | `shop:cart:{<uid>}` | hash | 7d |')
    expect(stdout.match(/^\| (user|product|session|cart|board|visitors|config) \|/gm)).toHaveLength(7)
  })

  it('prints the decision log', async () => {
    const { stdout, code } = await cli('examples/shop/keys.ts', '--decisions')
    expect(code).toBe(0)
    for (const name of ['user', 'product', 'session', 'cart', 'board', 'visitors', 'config']) {
      expect(stdout).toMatch(new RegExp(`^${name}  shop:`, 'm'))
    }
    for (const question of [
      '1. structure',
      '2. complexity',
      '3. persistence',
      '4. atomicity',
      '5. serialization',
    ]) {
      expect(stdout.split(question).length - 1).toBe(7)
    }
    const md = await cli('examples/shop/keys.ts', '--decisions', '--format', 'md')
    expect(md.stdout).toContain('### board — `shop:board:<game>`')
    expect(md.stdout).toContain('appendonly yes')
  })

  it("predicts encodings with a live server's limits (--url)", async () => {
    const { stdout, code, stderr } = await cli(
      'examples/shop/keys.ts',
      '--format',
      'json',
      '--url',
      server.url,
    )
    expect(stderr).toBe('')
    expect(code).toBe(0)
    const rows = JSON.parse(stdout) as SchemaRow[]
    // hash-max-listpack-entries is 8 on that server: the 16-field user hash is a hashtable there.
    expect(rows.find((r) => r.name === 'user')!.encoding).toBe('hashtable')
  })

  it('explains what is wrong, with exit code 1', async () => {
    const missing = await cli('examples/shop/keys.ts', '--export', 'nope')
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('no keyspace export named "nope" (keyspace exports: shop)')
    const dir = mkdtempSync(join(tmpdir(), 'schema-cli-'))
    const empty = join(dir, 'empty.mjs')
    writeFileSync(empty, 'export const answer = 42\n')
    try {
      const none = await cli(empty)
      expect(none.code).toBe(1)
      expect(none.stderr).toContain('exports no keyspace (exports: answer)')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
    const bad = await cli('examples/shop/keys.ts', '--format', 'yaml')
    expect(bad.code).not.toBe(0)
  })
})
