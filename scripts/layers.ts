/**
 * The house rules of src/, checked by `npm run check` and by test/architecture.test.ts:
 * every import points down the layers below (or stays in its own folder), no two files import
 * each other even indirectly (type-only imports count: a circle is a circle to the reader), and
 * no file outgrows one concern (MAX_LINES).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import ts from 'typescript'

/**
 * The layers, lowest first. A folder (or a root file) may import only from a lower layer, or
 * from itself; folders that share a layer are peers and may not import each other.
 */
export const LAYERS: readonly (readonly string[])[] = [
  ['errors.ts'], // ground: the typed error and the one list of its codes
  ['common'], // ground: command and reply types, slots, durations, validation
  ['codec'], // value codecs
  ['keyspace'], // the declaration: keys, TTLs, decisions, encodings
  ['guard'], // the hard stops, pure: a command line and facts in, a verdict out
  ['client'], // connections, topologies, the one edge where the guard applies
  ['atomic'], // scripts, pipelines, MULTI/WATCH on the client's primitives
  ['ops'], // typed operations of a declared keyspace
  ['kit'], // what features share: the worker loop, structure keyspaces, stream replies
  ['cache', 'structures', 'messaging', 'queue', 'rq', 'celery', 'keyv'], // features
  ['report'], // outputs derived from declarations: Python module, ACLs
  ['audit'], // live-instance audit (compares ACLs with report/'s)
  ['connect.ts'], // the front door: the client with atomic/ and ops/ on it
  ['cli', 'testing', 'index.ts'], // the edges users run
]

export const MAX_LINES = 450

export interface Finding {
  readonly kind: 'upward' | 'sideways' | 'cycle' | 'unknown-folder' | 'too-long'
  readonly message: string
}

const rankOf = new Map(LAYERS.flatMap((names, rank) => names.map((name) => [name, rank] as const)))

/** The top-level folder (or root file) a path under src/ belongs to. */
function unitOf(path: string): string {
  return path.split('/')[0] ?? path
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return sourceFiles(path)
    return path.endsWith('.ts') ? [path] : []
  })
}

/** Relative imports of one file, resolved to paths under `src`. */
function importsOf(file: string, src: string): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true)
  return importedFiles
    .map((imported) => imported.fileName)
    .filter((name) => name.startsWith('.'))
    .map((name) => relative(src, resolve(dirname(file), name.replace(/\.js$/, '.ts'))))
}

/** Strongly connected components of more than one file (Tarjan). */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const found: string[][] = []
  let next = 0
  const visit = (node: string): void => {
    index.set(node, next)
    low.set(node, next)
    next++
    stack.push(node)
    onStack.add(node)
    for (const target of graph.get(node) ?? []) {
      if (!graph.has(target)) continue
      if (!index.has(target)) {
        visit(target)
        low.set(node, Math.min(low.get(node) ?? 0, low.get(target) ?? 0))
      } else if (onStack.has(target)) low.set(node, Math.min(low.get(node) ?? 0, index.get(target) ?? 0))
    }
    if (low.get(node) !== index.get(node)) return
    const component: string[] = []
    let member: string | undefined
    do {
      member = stack.pop()
      if (member === undefined) break
      onStack.delete(member)
      component.push(member)
    } while (member !== node)
    if (component.length > 1) found.push(component.sort())
  }
  for (const node of graph.keys()) if (!index.has(node)) visit(node)
  return found
}

/** Every breach of the house rules under `src` (an absolute path). */
export function checkLayers(src: string): Finding[] {
  const findings: Finding[] = []
  const graph = new Map<string, string[]>()
  for (const file of sourceFiles(src)) {
    const path = relative(src, file)
    graph.set(path, importsOf(file, src))
    const lines = readFileSync(file, 'utf8').split('\n').length - 1
    if (lines > MAX_LINES)
      findings.push({ kind: 'too-long', message: `${path}: ${lines} lines (the limit is ${MAX_LINES})` })
  }
  for (const [path, targets] of graph) {
    const from = unitOf(path)
    const fromRank = rankOf.get(from)
    if (fromRank === undefined) {
      findings.push({ kind: 'unknown-folder', message: `${from}: not in LAYERS (scripts/layers.ts)` })
      continue
    }
    for (const target of targets) {
      const to = unitOf(target)
      const toRank = rankOf.get(to)
      if (to === from || toRank === undefined) continue
      if (toRank > fromRank)
        findings.push({ kind: 'upward', message: `${path} imports ${target}: ${from} is below ${to}` })
      else if (toRank === fromRank)
        findings.push({ kind: 'sideways', message: `${path} imports ${target}: ${from} and ${to} are peers` })
    }
  }
  for (const component of cycles(graph))
    findings.push({ kind: 'cycle', message: `import circle: ${component.join(' → ')}` })
  return [...new Map(findings.map((f) => [f.message, f])).values()]
}
