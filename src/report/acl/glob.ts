import type { ParsedPattern } from '../../keyspace/pattern.js'

/**
 * Which keys an ACL key pattern grants beyond its own entry. An entry's ACL glob is its SCAN glob
 * (every parameter → `*`), and a Redis glob's `*` spans any character, `:` included: there is no
 * "any but `:`". So `~shop:user:*` also grants `shop:user:<id>:friends`. This decides, exactly,
 * whether some key of another entry matches a glob: the intersection of two automata — the glob
 * (literal characters and `*`) and the pattern (literal characters, and parameters, each one or
 * more characters of an escaped parameter: `A-Z a-z 0-9 - . _ ~ %`).
 */

type GlobAtom = { readonly star: true } | { readonly star: false; readonly char: string }
type PatternAtom = { readonly param: true } | { readonly param: false; readonly char: string }

const PARAM_CHAR = /^[A-Za-z0-9\-._~%]$/

function globAtoms(glob: string): GlobAtom[] {
  return [...glob].map((char) => (char === '*' ? { star: true } : { star: false, char }))
}

function patternAtoms(pattern: ParsedPattern): PatternAtom[] {
  const atoms: PatternAtom[] = []
  pattern.segments.forEach((segment, i) => {
    if (segment.kind === 'param') atoms.push({ param: true })
    else for (const char of segment.text) atoms.push({ param: false, char })
    const delimiter = pattern.delimiters[i]
    if (delimiter !== undefined) atoms.push({ param: false, char: delimiter })
  })
  return atoms
}

/**
 * A key of `pattern` that `glob` matches (a witness, parameters filled in), or null when none
 * does. Globs here hold only literal characters and `*` (what an entry's glob is made of).
 */
export function globWitness(glob: string, pattern: ParsedPattern): string | null {
  const g = globAtoms(glob)
  const p = patternAtoms(pattern)
  // State: position in the glob, position in the pattern, and whether the parameter at that
  // position has consumed at least one character (it may then end or go on).
  type State = readonly [number, number, boolean]
  const seen = new Set<string>()
  const queue: { state: State; key: string }[] = []
  const push = (state: State, key: string) => {
    const id = `${state[0]},${state[1]},${state[2]}`
    if (seen.has(id)) return
    seen.add(id)
    queue.push({ state, key })
  }
  push([0, 0, false], '')
  while (queue.length > 0) {
    const { state, key } = queue.shift()!
    const [i, j, inParam] = state
    const ga = g[i]
    const pa = p[j]
    // Epsilon moves: a star may match nothing; a parameter with a character may end.
    if (ga?.star) push([i + 1, j, inParam], key)
    if (pa?.param && inParam) push([i, j + 1, false], key)
    if (i === g.length && j === p.length) return key
    if (ga === undefined || pa === undefined) continue
    // Moves that consume one character, accepted by both.
    const candidates = pa.param ? (ga.star ? ['x'] : PARAM_CHAR.test(ga.char) ? [ga.char] : []) : [pa.char]
    for (const char of candidates) {
      if (!ga.star && ga.char !== char) continue
      const nextI = ga.star ? i : i + 1
      if (pa.param) push([nextI, j, true], key + char)
      else push([nextI, j + 1, false], key + char)
    }
  }
  return null
}
