import { spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { generatePython } from '../../../src/report/python/index.js'
import { PYTHON } from '../../support/python.js'
import { every, move } from './fixtures/every.js'

export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url))
export const EVERY_FILE = join(FIXTURES, 'every.ts')
export const SHOP_FILE = fileURLToPath(new URL('../../../examples/shop/keys.ts', import.meta.url))

export interface Generated {
  readonly dir: string
  readonly text: string
}

/** Generates the fixture's module (fx_keys.py) into a fresh temporary directory. */
export async function generateFixture(): Promise<Generated> {
  const dir = mkdtempSync(join(tmpdir(), 'redis-expert-codegen-'))
  const { text } = await generatePython({
    keyspaces: [every],
    scripts: [move],
    file: EVERY_FILE,
    label: 'every.ts',
  })
  writeFileSync(join(dir, 'fx_keys.py'), text)
  return { dir, text }
}

/** Runs /usr/bin/python3 with `input` on stdin; resolves with stdout, rejects with the output on failure. */
export function python(
  args: readonly string[],
  input = '',
  cwd?: string,
  timeoutMs = 60_000,
): Promise<string> {
  // PYTHONPATH/PYTHONHOME from a version manager would point the system interpreter elsewhere.
  const { PYTHONPATH: _path, PYTHONHOME: _home, ...env } = process.env
  const child = spawn(PYTHON, args, { cwd, env: { ...env, PYTHONDONTWRITEBYTECODE: '1' }, stdio: 'pipe' })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8')
  })
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8')
  })
  child.stdin.end(input)
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      if (code === 0) resolve(stdout)
      else
        reject(
          new Error(
            `${PYTHON} ${args.join(' ')} exited ${code}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`,
          ),
        )
    })
  })
}

/** Asks fixtures/harness.py a batch of questions about a generated module. */
export async function ask<T = Record<string, unknown>>(
  dir: string,
  module: string,
  ops: readonly unknown[],
): Promise<T[]> {
  const out = await python([join(FIXTURES, 'harness.py'), dir, module], JSON.stringify(ops))
  return JSON.parse(out) as T[]
}
