/**
 * Python types as data, for the generated module: what the TypeScript declaration's value types
 * become (ts-types.ts reads them), rendered as annotations, and the TypedDicts they need.
 */

export type PyType =
  | { readonly kind: 'name'; readonly name: PyName }
  | { readonly kind: 'literal'; readonly values: readonly (string | number | boolean)[] }
  | { readonly kind: 'list'; readonly item: PyType }
  | { readonly kind: 'tuple'; readonly items: readonly PyType[] }
  | { readonly kind: 'dict'; readonly value: PyType }
  | { readonly kind: 'union'; readonly members: readonly PyType[] }
  /** A TypedDict declared in the module, by its Python name. */
  | { readonly kind: 'ref'; readonly name: string }

export type PyName = 'str' | 'float' | 'int' | 'bool' | 'None' | 'Any' | 'bytes'

export interface PyField {
  /** The field name as stored (any string). */
  readonly name: string
  readonly type: PyType
  readonly required: boolean
}

export interface TypedDictDecl {
  readonly name: string
  readonly fields: readonly PyField[]
  /** Where it comes from, for its docstring: `interface Product (examples/shop/keys.ts)`. */
  readonly origin: string
}

export const py = {
  str: { kind: 'name', name: 'str' } as PyType,
  float: { kind: 'name', name: 'float' } as PyType,
  int: { kind: 'name', name: 'int' } as PyType,
  bool: { kind: 'name', name: 'bool' } as PyType,
  none: { kind: 'name', name: 'None' } as PyType,
  any: { kind: 'name', name: 'Any' } as PyType,
  bytes: { kind: 'name', name: 'bytes' } as PyType,
  bit: { kind: 'literal', values: [0, 1] } as PyType,
}

/** A union without duplicates or nested unions; one member stands alone; Any absorbs the rest. */
export function union(members: readonly PyType[]): PyType {
  const flat: PyType[] = []
  const seen = new Set<string>()
  const literals: (string | number | boolean)[] = []
  for (const member of members.flatMap((m) => (m.kind === 'union' ? m.members : [m]))) {
    if (member.kind === 'name' && member.name === 'Any') return py.any
    if (member.kind === 'literal') {
      for (const value of member.values) if (!literals.includes(value)) literals.push(value)
      continue
    }
    const text = annotation(member)
    if (!seen.has(text)) {
      seen.add(text)
      flat.push(member)
    }
  }
  // bool covers Literal[True, False]; Literal[True] alone stays a literal.
  const hasBool = flat.some((m) => m.kind === 'name' && m.name === 'bool')
  const keptLiterals = literals.filter((v) => !(hasBool && typeof v === 'boolean'))
  if (keptLiterals.includes(true) && keptLiterals.includes(false) && !hasBool) {
    flat.push(py.bool)
    keptLiterals.splice(0, keptLiterals.length, ...keptLiterals.filter((v) => typeof v !== 'boolean'))
  }
  const all = keptLiterals.length > 0 ? [{ kind: 'literal', values: keptLiterals } as PyType, ...flat] : flat
  if (all.length === 1) return all[0]!
  return { kind: 'union', members: all }
}

/** The annotation text: `Optional[List[str]]`, `Dict[str, float]`, `Literal["a", 1]`. */
export function annotation(type: PyType): string {
  switch (type.kind) {
    case 'name':
      return type.name
    case 'literal':
      return `Literal[${type.values.map(literalText).join(', ')}]`
    case 'list':
      return `List[${annotation(type.item)}]`
    case 'tuple':
      return type.items.length === 0 ? 'Tuple[()]' : `Tuple[${type.items.map(annotation).join(', ')}]`
    case 'dict':
      return `Dict[str, ${annotation(type.value)}]`
    case 'ref':
      return type.name
    case 'union': {
      const others = type.members.filter((m) => !(m.kind === 'name' && m.name === 'None'))
      const optional = others.length < type.members.length
      const inner =
        others.length === 1 ? annotation(others[0]!) : `Union[${others.map(annotation).join(', ')}]`
      return optional ? `Optional[${inner}]` : inner
    }
  }
}

/** `Optional[T]` (once, even when T already admits None). */
export function optional(type: PyType): string {
  return annotation(union([type, py.none]))
}

function literalText(value: string | number | boolean): string {
  if (typeof value === 'boolean') return value ? 'True' : 'False'
  if (typeof value === 'number') return String(value)
  return pyString(value)
}

/** A Python string literal for any text (JSON's escapes are valid Python escapes). */
export function pyString(text: string): string {
  return JSON.stringify(text)
}

export const PY_KEYWORDS = new Set([
  'False',
  'None',
  'True',
  'and',
  'as',
  'assert',
  'async',
  'await',
  'break',
  'class',
  'continue',
  'def',
  'del',
  'elif',
  'else',
  'except',
  'finally',
  'for',
  'from',
  'global',
  'if',
  'import',
  'in',
  'is',
  'lambda',
  'nonlocal',
  'not',
  'or',
  'pass',
  'raise',
  'return',
  'try',
  'while',
  'with',
  'yield',
])

/** A name usable as a Python identifier: keywords and reserved names get a trailing `_` (PEP 8). */
export function pyIdentifier(name: string, reserved: ReadonlySet<string> = new Set()): string {
  let out = /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : name.replace(/[^A-Za-z0-9_]/g, '_')
  if (/^[0-9]/.test(out)) out = `_${out}`
  while (PY_KEYWORDS.has(out) || reserved.has(out)) out = `${out}_`
  return out
}

/** `shop:v2` + `user_profile` → `ShopV2UserProfile`. */
export function pascal(...parts: readonly string[]): string {
  return parts
    .flatMap((part) => part.split(/[^A-Za-z0-9]+|_/))
    .filter((word) => word !== '')
    .map((word) => word[0]!.toUpperCase() + word.slice(1))
    .join('')
}

/** Python TypedDict declarations: class syntax when every field name is an identifier, else functional. */
export function renderTypedDict(decl: TypedDictDecl, total: boolean | 'mixed' = 'mixed'): string {
  const required = decl.fields.filter((f) => (total === 'mixed' ? f.required : total))
  const optionalFields = decl.fields.filter((f) => !(total === 'mixed' ? f.required : total))
  const classSyntax = decl.fields.every(
    (f) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(f.name) && !PY_KEYWORDS.has(f.name) && !f.name.startsWith('__'),
  )
  const doc = `    ${pyDocstring(decl.origin, 4)}`
  if (classSyntax) {
    const body = (fields: readonly PyField[]) =>
      fields.length === 0 ? '' : `\n${fields.map((f) => `    ${f.name}: ${annotation(f.type)}`).join('\n')}`
    if (optionalFields.length === 0) return `class ${decl.name}(TypedDict):\n${doc}${body(required)}\n`
    if (required.length === 0)
      return `class ${decl.name}(TypedDict, total=False):\n${doc}${body(optionalFields)}\n`
    return (
      `class _${decl.name}Required(TypedDict):${body(required)}\n\n\n` +
      `class ${decl.name}(_${decl.name}Required, total=False):\n${doc}${body(optionalFields)}\n`
    )
  }
  const dict = (fields: readonly PyField[]) =>
    `{${fields.map((f) => `${pyString(f.name)}: ${pyString(annotation(f.type))}`).join(', ')}}`
  if (optionalFields.length === 0)
    return `${decl.name} = TypedDict(${pyString(decl.name)}, ${dict(required)})\n`
  if (required.length === 0)
    return `${decl.name} = TypedDict(${pyString(decl.name)}, ${dict(optionalFields)}, total=False)\n`
  return (
    `_${decl.name}Required = TypedDict(${pyString(`_${decl.name}Required`)}, ${dict(required)})\n` +
    `_${decl.name}Optional = TypedDict(${pyString(`_${decl.name}Optional`)}, ${dict(optionalFields)}, total=False)\n\n\n` +
    `class ${decl.name}(_${decl.name}Required, _${decl.name}Optional):\n${doc}\n`
  )
}

/** A docstring literal: backslashes and triple quotes cannot end or bend it; lines indented. */
export function pyDocstring(text: string, indent: number): string {
  const pad = ' '.repeat(indent)
  const safe = text.replace(/\\/g, '\\\\').replace(/"""/g, '\\"\\"\\"').replace(/\r/g, '')
  const lines = safe.split('\n')
  if (lines.length === 1) return `"""${safe}"""`
  return `"""${lines[0]}\n${lines
    .slice(1)
    .map((line) => (line === '' ? '' : pad + line))
    .join('\n')}\n${pad}"""`
}
