import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { checkLayers, MAX_LINES } from '../scripts/layers.js'

/** The house rules (scripts/layers.ts) hold for src/, so that they stay true in CI too. */
describe('architecture', () => {
  it('src/: every import points down the layers, no circles, no file over the line limit', () => {
    const src = fileURLToPath(new URL('../src', import.meta.url))
    expect(checkLayers(src).map((finding) => `${finding.kind}: ${finding.message}`)).toEqual([])
  })

  it('the check sees an upward import, a peer import, a circle, an unknown folder and a long file', () => {
    const src = mkdtempSync(join(tmpdir(), 'layers-'))
    const write = (path: string, text: string) => {
      mkdirSync(join(src, path, '..'), { recursive: true })
      writeFileSync(join(src, path), text)
    }
    try {
      write('guard/a.ts', "import type { X } from '../client/x.js'\nexport type A = X\n")
      write('client/x.ts', 'export type X = 1\n')
      write('cache/c.ts', "import { q } from '../queue/q.js'\nexport const c = q\n")
      write('queue/q.ts', 'export const q = 1\n')
      write('ops/one.ts', "import { two } from './two.js'\nexport const one = two\n")
      write('ops/two.ts', "import { one } from './one.js'\nexport const two = one\n")
      write('elsewhere/e.ts', 'export const e = 1\n')
      write('common/long.ts', 'export const l = 1\n'.repeat(MAX_LINES + 1))
      expect(
        checkLayers(src)
          .map((finding) => finding.kind)
          .sort(),
      ).toEqual(['cycle', 'sideways', 'too-long', 'unknown-folder', 'upward'])
    } finally {
      rmSync(src, { recursive: true, force: true })
    }
  })
})
