import { strictOptions } from '../common/validate.js'
import { PatternAccumulator, type PatternSummary } from './accumulate.js'
import { inferParts, type Part, type Placeholder } from './infer.js'

/**
 * Groups keys by inferred pattern in a trie of parts. Two corrections run on top of the
 * per-key inference (infer.ts), because a pattern is a property of many keys, not of one:
 *
 * - Cardinality: when one position holds more than `maxLiterals` distinct literal values
 *   (short random ids no rule recognises, tenant names, slugs), the position varies: its
 *   literals collapse into `<*>`. This also bounds memory on any keyspace.
 * - Siblings: one generator can yield values of several kinds (an auto-increment id that
 *   happens to read as a date, a hex id that happens to be all digits, a token that happens to
 *   look like a word). Variable siblings that are accidents of one generator merge (`finish`).
 */
export interface PatternTreeOptions {
  /** Distinct literal values at one position before it becomes `<*>`, default 50. */
  readonly maxLiterals?: number
}

interface TreeNode {
  readonly text: string
  readonly kind: Part['kind']
  readonly delimiter: string
  readonly children: Map<string, TreeNode>
  /** Literal children per following delimiter. */
  readonly literals: Map<string, number>
  /** Delimiters after which this position is known to vary. */
  readonly wild: Set<string>
  /** For `<hex>` and `<token>`: keys per length of the value replaced. */
  readonly lengths: Map<number, number>
  acc: PatternAccumulator | null
}

const childKey = (kind: Part['kind'], text: string, delimiter: string) =>
  `${kind === null ? 'L' : 'V'}${delimiter}\u0000${text}`

function newNode(text: string, kind: Part['kind'], delimiter: string): TreeNode {
  return {
    text,
    kind,
    delimiter,
    children: new Map(),
    literals: new Map(),
    wild: new Set(),
    lengths: new Map(),
    acc: null,
  }
}

const MAX_SHAPES = 4096
const DIGIT = /\d/
/** Where inference reads a digit's value, not just that it is one: see shapeOf. */
const VALUE_SENSITIVE = /\.|\d[-/]|\d{8}/

/**
 * The key with every digit written as 0 — when inference cannot tell the two apart, so that
 * `user:1234:profile` and `user:5678:profile` are inferred once. Inference looks at digit values
 * in three places only: dates (`2024-03-01`, `2024/03`: a digit before `-` or `/`), dotted IPs
 * and decimals (a `.`), and all-digit runs of 8, 10 or 13 digits (dates and Unix times); everywhere
 * else it looks at lengths and character classes, which the zeros keep. Keys with any of the three
 * get null: inferred one by one. Keys without a digit get null too: each is its own shape.
 */
export function shapeOf(key: string): string | null {
  if (!DIGIT.test(key) || VALUE_SENSITIVE.test(key)) return null
  return key.replace(DIGITS, '0')
}
const DIGITS = /\d/g

/** Placeholders one numeric generator yields: an id that reads as a date or a Unix time is still an id. */
const NUMERIC: ReadonlySet<Placeholder | 'mixed' | null> = new Set(['id', 'date', 'ts'])
/** Kinds a random-id generator yields besides its own: all-digit ids, all-hex ids, word-like leftovers. */
const ABSORBED_BY_RANDOM: ReadonlySet<Placeholder | 'mixed' | null> = new Set([
  'id',
  'date',
  'ts',
  'hex',
  '*',
])

/**
 * Folds every scanned key name into a tree of parts and infers patterns such as `user:<id>:profile`,
 * keeping per-pattern statistics with bounded memory (at most `maxLiterals` literal children per node).
 */
export class PatternTree {
  readonly #root = newNode('', null, '')
  readonly #maxLiterals: number
  readonly #declared = new Map<string, PatternAccumulator>()
  /** inferParts by key shape; null: the shape's parts hold digits of their own, infer each key. */
  readonly #shapes = new Map<string, readonly Part[] | null>()

  constructor(options: PatternTreeOptions = {}) {
    strictOptions('PatternTree options', options, ['maxLiterals'])
    this.#maxLiterals = options.maxLiterals ?? 50
  }

  /**
   * The accumulator of a pattern known in advance (a declared keyspace entry's): its keys are
   * grouped by the declaration, which knows better than inference what varies.
   */
  accumulatorForPattern(pattern: string): PatternAccumulator {
    let acc = this.#declared.get(pattern)
    if (!acc) {
      acc = new PatternAccumulator()
      this.#declared.set(pattern, acc)
    }
    return acc
  }

  /** The accumulator of `key`'s pattern (created on first use). */
  accumulatorFor(key: string): PatternAccumulator {
    let node = this.#root
    for (const part of this.#parts(key)) {
      node = this.#child(node, part.text, part.kind, part.delimiter)
      if (part.length !== undefined && (part.kind === 'hex' || part.kind === 'token'))
        node.lengths.set(part.length, (node.lengths.get(part.length) ?? 0) + 1)
    }
    if (!node.acc) node.acc = new PatternAccumulator()
    return node.acc
  }

  /** inferParts(key), from the memo when the key's shape has been seen (see shapeOf). */
  #parts(key: string): readonly Part[] {
    const shape = shapeOf(key)
    if (shape === null) return inferParts(key)
    let parts = this.#shapes.get(shape)
    if (parts === undefined) {
      parts = inferParts(shape)
      // Literal text with a digit would be the shape's zeros, not the key's own digits.
      if (parts.some((p) => (p.kind === null || p.kind === 'mixed') && DIGIT.test(p.text))) parts = null
      // Bounded: a keyspace of many shapes (ids of mixed letters and digits) just stops memoising.
      if (this.#shapes.size < MAX_SHAPES) this.#shapes.set(shape, parts)
    }
    return parts ?? inferParts(key)
  }

  #child(parent: TreeNode, text: string, kind: Part['kind'], delimiter: string): TreeNode {
    if (kind === null && parent.wild.has(delimiter)) return this.#child(parent, '<*>', '*', delimiter)
    const key = childKey(kind, text, delimiter)
    let child = parent.children.get(key)
    if (child) return child
    child = newNode(text, kind, delimiter)
    parent.children.set(key, child)
    if (kind === null) {
      const count = (parent.literals.get(delimiter) ?? 0) + 1
      parent.literals.set(delimiter, count)
      if (count > this.#maxLiterals) {
        this.#collapse(parent, delimiter)
        return this.#child(parent, '<*>', '*', delimiter)
      }
    }
    return child
  }

  /** Every literal child followed by `delimiter` merges into one `<*>` child. */
  #collapse(parent: TreeNode, delimiter: string): void {
    parent.wild.add(delimiter)
    parent.literals.delete(delimiter)
    const literal = [...parent.children].filter(([, c]) => c.kind === null && c.delimiter === delimiter)
    for (const [key] of literal) parent.children.delete(key)
    const star = this.#child(parent, '<*>', '*', delimiter)
    for (const [, node] of literal) this.#mergeInto(star, node)
  }

  #mergeInto(target: TreeNode, source: TreeNode): void {
    for (const [length, n] of source.lengths)
      target.lengths.set(length, (target.lengths.get(length) ?? 0) + n)
    if (source.acc) {
      if (target.acc) target.acc.merge(source.acc)
      else target.acc = source.acc
    }
    for (const child of source.children.values()) {
      const into = this.#child(target, child.text, child.kind, child.delimiter)
      this.#mergeInto(into, child)
    }
  }

  /** Merges sibling kinds that come from one generator, at every position. */
  #mergeSiblings(node: TreeNode): void {
    for (const delimiter of new Set([...node.children.values()].map((c) => c.delimiter))) {
      const variable = [...node.children.entries()].filter(
        ([, c]) => c.delimiter === delimiter && c.kind !== null && c.kind !== 'mixed',
      )
      const weight = ([, c]: [string, TreeNode]) => keysUnder(c)
      const random = variable.filter(([, c]) => c.kind === 'token' || c.kind === 'hex')
      const numeric = variable.filter(([, c]) => NUMERIC.has(c.kind))
      let absorb: [string, TreeNode][] = []
      let into: [string, TreeNode] | undefined
      if (random.length > 0) {
        // A token position: hex ids, all-digit ids and unrecognised leftovers are the same generator.
        const tokens = random.filter(([, c]) => c.kind === 'token')
        const candidate = [...(tokens.length > 0 ? tokens : random)].sort((a, b) => weight(b) - weight(a))[0]
        const randomKeys = random.reduce((sum, c) => sum + weight(c), 0)
        const others = variable.filter(([, c]) => ABSORBED_BY_RANDOM.has(c.kind) || c.kind === 'token')
        const total = others.reduce((sum, c) => sum + weight(c), 0)
        // Only when the random kinds dominate: an id index beside a token index stays apart.
        if (randomKeys >= total * 0.5 && candidate) {
          into = candidate
          absorb = [...others.filter((c) => c !== into), ...lookalikes(node, candidate[1])]
        }
      }
      if (!into && numeric.length > 1) {
        into = [...numeric].sort((a, b) => weight(b) - weight(a))[0]
        absorb = numeric.filter((c) => c !== into)
      }
      if (!into) continue
      for (const [key, child] of absorb) {
        node.children.delete(key)
        this.#mergeInto(into[1], child)
      }
    }
    for (const child of node.children.values()) this.#mergeSiblings(child)
  }

  /** Every pattern with its statistics, largest estimated memory first. */
  finish(scale: number): PatternSummary[] {
    this.#mergeSiblings(this.#root)
    const summaries: PatternSummary[] = []
    const walk = (node: TreeNode, prefix: string) => {
      const pattern = prefix + node.text + node.delimiter
      if (node.acc) summaries.push(node.acc.summary(pattern, scale))
      for (const child of node.children.values()) walk(child, pattern)
    }
    walk(this.#root, '')
    for (const [pattern, acc] of this.#declared) summaries.push(acc.summary(pattern, scale))
    return summaries.sort(
      (a, b) => b.memory.total - a.memory.total || b.keys - a.keys || a.pattern.localeCompare(b.pattern),
    )
  }
}

/** Alphabets of the random kinds: a literal written only in it may be one of their values. */
const ALPHABET: Readonly<Record<string, RegExp>> = {
  hex: /^(?:[0-9a-f]+|[0-9A-F]+)$/,
  token: /^[A-Za-z0-9_+/=~-]+$/,
}

/**
 * Literal siblings that are values of a random generator which happened to read as text (an
 * all-letter hex id such as `cafebabe`): same delimiter, the generator's length and alphabet.
 */
function lookalikes(parent: TreeNode, random: TreeNode): [string, TreeNode][] {
  const alphabet = ALPHABET[random.kind ?? '']
  const total = [...random.lengths.values()].reduce((a, b) => a + b, 0)
  const [length, n] = [...random.lengths].sort((a, b) => b[1] - a[1])[0] ?? [0, 0]
  // Only when the generator has one length: tokens of many lengths could be words.
  if (!alphabet || total === 0 || n < total * 0.9) return []
  return [...parent.children].filter(
    ([, c]) =>
      c.kind === null &&
      c.delimiter === random.delimiter &&
      c.text.length === length &&
      alphabet.test(c.text),
  )
}

function keysUnder(node: TreeNode): number {
  let keys = node.acc?.keys ?? 0
  for (const child of node.children.values()) keys += keysUnder(child)
  return keys
}
