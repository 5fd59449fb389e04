import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

/*
 * The API reference (issue 16): `npm run docs` builds it with TypeDoc from the TSDoc comments of
 * every entry point in package.json `exports`, with validation.notDocumented and
 * treatWarningsAsErrors (typedoc.json): an exported function, class, interface, type, variable or
 * method without a doc comment fails the build, and so this test, which `npm test` runs. It builds
 * into a temporary directory, not docs/api, so that it never races a build of the working tree.
 */

const root = fileURLToPath(new URL('../../', import.meta.url))
const out = mkdtempSync(join(tmpdir(), 'redis-expert-api-'))

afterAll(() => {
  rmSync(out, { recursive: true, force: true })
})

describe('npm run docs', () => {
  it('documents every entry point of package.json exports', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      exports: Record<string, unknown>
    }
    const config = JSON.parse(readFileSync(join(root, 'typedoc.json'), 'utf8')) as { entryPoints: string[] }
    const fromExports = Object.keys(pkg.exports)
      .filter((path) => path !== './package.json')
      .map((path) => (path === '.' ? 'src/index.ts' : `src/${path.slice(2)}/index.ts`))
    expect([...config.entryPoints].sort()).toEqual(fromExports.sort())
  })

  it('builds the API reference with every public symbol documented', { timeout: 150_000 }, async () => {
    const result = await new Promise<{ code: number; output: string }>((resolve) => {
      execFile(
        'npm',
        ['run', 'docs', '--', '--out', out],
        { cwd: root, timeout: 140_000, killSignal: 'SIGKILL', maxBuffer: 16 << 20 },
        (error, stdout, stderr) =>
          resolve({
            code: error ? Number((error as { code?: number }).code ?? 1) : 0,
            output: stdout + stderr,
          }),
      )
    })
    // TypeDoc names each undocumented symbol and where it is defined.
    expect(result.output.match(/.*does not have any documentation.*/g) ?? []).toEqual([])
    expect(result.code, result.output.slice(-4000)).toBe(0)
    expect(existsSync(join(out, 'index.html'))).toBe(true)
  })
})
