import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { shop } from '../../../examples/shop/keys.js'
import { generatePython } from '../../../src/report/python/index.js'
import { FIXTURES, type Generated, generateFixture, python, SHOP_FILE } from './helpers.js'

/**
 * The generated modules pass a Python type checker: mypy --strict, with Debian's python3-typeshed
 * (redis-stubs), for the shop example and for the fixture with every type, codec and hash tags;
 * a typed use of them passes, and misuse is reported line by line.
 */

let generated: Generated
beforeAll(async () => {
  generated = await generateFixture()
  const { text } = await generatePython({
    keyspaces: [shop],
    file: SHOP_FILE,
    label: 'examples/shop/keys.ts',
  })
  writeFileSync(join(generated.dir, 'shop_keys.py'), text)
  for (const file of ['usage_ok.py', 'usage_bad.py'])
    copyFileSync(join(FIXTURES, file), join(generated.dir, file))
}, 60_000)
afterAll(() => rmSync(generated.dir, { recursive: true, force: true }))

async function mypy(...files: string[]): Promise<{ ok: boolean; output: string }> {
  const args = [
    '-m',
    'mypy',
    '--strict',
    '--no-incremental',
    '--cache-dir=/dev/null',
    '--no-error-summary',
    ...files,
  ]
  try {
    return { ok: true, output: await python(args, '', generated.dir, 120_000) }
  } catch (error) {
    return { ok: false, output: String(error) }
  }
}

describe('mypy --strict', () => {
  it('passes on the generated modules and on their typed use', async () => {
    const result = await mypy('fx_keys.py', 'shop_keys.py', 'usage_ok.py')
    expect(result.output).not.toMatch(/error:/)
    expect(result.ok, result.output).toBe(true)
  }, 180_000)

  it('reports each misuse, on exactly the lines marked', async () => {
    const result = await mypy('usage_bad.py')
    expect(result.ok).toBe(false)
    const lines = readFileSync(join(FIXTURES, 'usage_bad.py'), 'utf8').split('\n')
    const marked = lines.flatMap((line, i) => (line.includes('  # error:') ? [i + 1] : []))
    const reported = [...result.output.matchAll(/^usage_bad\.py:(\d+): error:/gm)].map((m) => Number(m[1]))
    expect(new Set(reported), result.output).toEqual(new Set(marked))
    expect(marked.length).toBe(17)
  }, 180_000)
})
