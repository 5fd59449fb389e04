import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AuditReport } from '../../src/audit/index.js'
import { connect } from '../../src/index.js'
import { type RedisServer, startRedis } from '../../src/testing/index.js'

const exec = promisify(execFile)

/** Runs `redis-expert audit ...` in a child process, as a user (or a CI job) would. */
async function cli(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await exec('npx', ['tsx', 'test/audit/fixtures/cli.ts', 'audit', ...args], {
      cwd: process.cwd(),
      timeout: 60_000,
    })
    return { stdout, stderr, code: 0 }
  } catch (error) {
    const e = error as { stdout: string; stderr: string; code: number }
    return { stdout: e.stdout, stderr: e.stderr, code: e.code }
  }
}

let server: RedisServer
let dir: string

beforeAll(async () => {
  // The launcher's defaults earn medium findings (no password, no AOF, no maxmemory) and no high one.
  server = await startRedis()
  const db = await connect({ url: server.url, guard: 'off' })
  try {
    await db.batch(Array.from({ length: 200 }, (_, i) => ['SET', `page:${i}:views`, String(i), 'EX', 600]))
  } finally {
    await db.close()
  }
  dir = mkdtempSync(join(tmpdir(), 'redis-expert-audit-cli-'))
})
afterAll(async () => {
  await server?.stop()
  rmSync(dir, { recursive: true, force: true })
})

describe('redis-expert audit', { timeout: 90_000 }, () => {
  it('--format json --out FILE writes the report; exit 0 without --fail-on', async () => {
    const out = join(dir, 'report.json')
    const { code, stdout, stderr } = await cli('--url', server.url, '--format', 'json', '--out', out)
    expect(code).toBe(0)
    expect(stdout).toBe('')
    expect(stderr).toMatch(/findings, report written to/)
    const report = JSON.parse(readFileSync(out, 'utf8')) as AuditReport
    expect(report.scanned.keys).toBe(200)
    expect(report.patterns.map((p) => p.pattern)).toEqual(['page:<id>:views'])
  })

  it('--fail-on exits 1 when findings of that severity or worse exist', async () => {
    const [medium, high] = await Promise.all([
      cli('--url', server.url, '--format', 'json', '--fail-on', 'medium'),
      cli('--url', server.url, '--format', 'json', '--fail-on', 'high'),
    ])
    expect(medium.code).toBe(1)
    expect(high.code).toBe(0)
  })

  it('prints text (no progress bar into a pipe) and markdown', async () => {
    const text = await cli('--url', server.url)
    expect(text.code).toBe(0)
    expect(text.stdout).toMatch(/^redis-expert audit\n/)
    expect(text.stdout).toContain('page:<id>:views')
    expect(text.stdout).toContain('[MEDIUM] eviction-policy')
    expect(text.stderr).not.toContain('ETA')
    const md = await cli('--url', server.url, '--format', 'md', '--sample', '50', '--rate', '5000')
    expect(md.code).toBe(0)
    expect(md.stdout).toContain('# Redis audit')
    expect(md.stdout).toContain('| `page:<id>:views` |')
    expect(md.stdout).toMatch(/sampled: estimates ×/)
  })

  it('bad input: a typed error naming the option, exit 2, nothing on stdout', async () => {
    const cases = [
      [['--rate', 'fast'], /INVALID_ARGUMENT: --rate must be a whole number/],
      [['--sample', '0'], /INVALID_ARGUMENT: --sample must be/],
      [['--format', 'pdf'], /INVALID_ARGUMENT: unknown report format "pdf"/],
      [['--fail-on', 'critical'], /INVALID_ARGUMENT: --fail-on must be one of high, medium, low/],
      [['--threshold', 'big-hash=1'], /INVALID_ARGUMENT: --threshold "big-hash=1"/],
      [
        ['--schema', 'examples/shop/nope.ts'],
        /INVALID_ARGUMENT: --schema examples\/shop\/nope.ts: cannot load the module/,
      ],
    ] as const
    const runs = await Promise.all(cases.map(([args]) => cli('--url', server.url, ...args)))
    runs.forEach(({ code, stdout, stderr }, i) => {
      const [args, message] = cases[i] as (typeof cases)[number]
      expect(code, args.join(' ')).toBe(2)
      expect(stdout).toBe('')
      expect(stderr).toMatch(message)
    })
  })

  it('an unreachable server: CONNECTION_FAILED, exit 2', async () => {
    const { code, stderr } = await cli('--url', 'redis://127.0.0.1:1')
    expect(code).toBe(2)
    expect(stderr).toMatch(/CONNECTION_FAILED/)
  })
})
