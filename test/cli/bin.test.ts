import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { promisify } from 'node:util'
import { beforeAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const root = new URL('../../', import.meta.url).pathname
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as {
  version: string
  bin: Record<string, string>
}

describe('the built redis-expert bin', () => {
  beforeAll(async () => {
    await run('npm', ['run', 'build', '--silent'], { cwd: root })
  }, 120_000)

  // npx starts npm first: seconds on a quiet machine, far more on a loaded CI runner.
  it('answers --version with the package version, through npx', { timeout: 120_000 }, async () => {
    const { stdout } = await run('npx', ['--no-install', 'redis-expert', '--version'], { cwd: root })
    expect(stdout.trim()).toBe(pkg.version)
  })

  it('answers --help listing its commands', { timeout: 120_000 }, async () => {
    const { stdout } = await run('npx', ['--no-install', 'redis-expert', '--help'], { cwd: root })
    expect(stdout).toContain('Usage: redis-expert')
    expect(stdout).toContain('probe')
  })

  it('is the file package.json names', () => {
    expect(pkg.bin['redis-expert']).toBe('./dist/cli/main.js')
  })

  it('fails with a clear message and exit code on an unknown command', async () => {
    const error = await run('node', ['dist/cli/main.js', 'nonsense'], { cwd: root }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 1, stderr: expect.stringContaining("unknown command 'nonsense'") })
  })
})

describe('redis-expert probe', () => {
  it('prints what probe() found as JSON', async () => {
    const { startRedis } = await import('../../src/testing/index.js')
    const server = await startRedis({ config: { appendonly: 'yes' } })
    try {
      const { stdout } = await run('node', ['dist/cli/main.js', 'probe', '--url', server.url], { cwd: root })
      const probe = JSON.parse(stdout) as { mode: string; persistence: { aof: boolean } }
      expect(probe.mode).toBe('standalone')
      expect(probe.persistence.aof).toBe(true)
    } finally {
      await server.stop()
    }
  })

  it('exits non-zero with CONNECTION_FAILED on a dead address', async () => {
    const error = await run('node', ['dist/cli/main.js', 'probe', '--url', 'redis://u:hunter2@127.0.0.1:1'], {
      cwd: root,
    }).catch((e: unknown) => e as { code: number; stderr: string })
    expect(error).toMatchObject({ code: 1 })
    expect((error as { stderr: string }).stderr).toContain('CONNECTION_FAILED')
    expect((error as { stderr: string }).stderr).not.toContain('hunter2')
  })
})
