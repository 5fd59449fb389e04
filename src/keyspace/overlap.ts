import { decodeParam } from './escape.js'
import type { ParsedPattern } from './pattern.js'

/**
 * Exact overlap test: returns a key both patterns can build, or null when none exists.
 *
 * Why it is exact: an escaped parameter never contains a delimiter, so splitting a key at its
 * delimiters is a function of the key alone and recovers each pattern's segments in place. A key
 * belongs to both patterns iff both have the same delimiter sequence and, segment by segment,
 * the key's text satisfies both: two literals must be equal; a literal against a parameter must
 * be a canonical escaped value (any non-empty literal is, since literals only use unreserved
 * characters; the empty literal is not, since an empty value is written `%`); two parameters
 * always share a value. When every position is satisfiable the choices are independent, so the
 * witness built below is a real key of both.
 */
export function overlapWitness(a: ParsedPattern, b: ParsedPattern): string | null {
  if (a.delimiters !== b.delimiters || a.segments.length !== b.segments.length) return null
  let witness = ''
  for (let i = 0; i < a.segments.length; i++) {
    const x = a.segments[i]!
    const y = b.segments[i]!
    let text: string
    if (x.kind === 'literal' && y.kind === 'literal') {
      if (x.text !== y.text) return null
      text = x.text
    } else if (x.kind === 'literal' || y.kind === 'literal') {
      const literal = x.kind === 'literal' ? x.text : y.kind === 'literal' ? y.text : ''
      if (decodeParam(literal) === null) return null
      text = literal
    } else {
      text = 'x'
    }
    witness += text + (a.delimiters[i] ?? '')
  }
  return witness
}
