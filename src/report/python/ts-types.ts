import { dirname, relative, resolve } from 'node:path'
import type ts from 'typescript'
import { RedisExpertError } from '../../errors.js'
import { type PyField, type PyType, pascal, py, type TypedDictDecl, union } from './py-types.js'

/**
 * The value types of a keyspace's entries, read from its TypeScript source with the compiler API.
 * `t.hash<User>()` returns `{ kind: 'hash' }` at run time: the type argument exists only in the
 * source, so the generator finds each `defineKeyspace('<ns>', { <entry>: { type: t.<kind><T>() } })`
 * call and asks the type checker what `T` is. See the README's architecture notes for why this
 * rather than a runtime schema.
 */

type Ts = typeof ts

/** What an entry's type argument is, as Python: a value type, or the fields of a hash/stream. */
export interface EntryTypeInfo {
  /** The type argument as Python (absent: none was written; the builder's default applies). */
  readonly value: PyType | null
  /** For an object type argument: its fields (hash and stream shapes). */
  readonly fields: readonly PyField[] | null
  /** The type argument as written, for docstrings: `Product`, `{ name: string }`. */
  readonly written: string | null
}

export interface SourceTypes {
  /** namespace → entry name → type info. */
  readonly entries: ReadonlyMap<string, ReadonlyMap<string, EntryTypeInfo>>
  /** TypedDicts the value types refer to, in dependency-friendly order. */
  readonly typedDicts: readonly TypedDictDecl[]
  /** What could not be translated exactly (typed `Any` instead), for the module header. */
  readonly warnings: readonly string[]
}

export async function loadTypeScript(): Promise<Ts> {
  try {
    return (await import('typescript')).default
  } catch (error) {
    throw new RedisExpertError(
      'NOT_SUPPORTED',
      'codegen python reads the type arguments of t.hash<T>() & co. from the declaration source with the TypeScript compiler: install it (npm i -D typescript)',
      { cause: error },
    )
  }
}

/** Reads the declaration's value types. `taken` holds Python names already used by the module. */
export function readSourceTypes(tsc: Ts, file: string, taken: Set<string>): SourceTypes {
  const program = createProgram(tsc, resolve(file))
  const checker = program.getTypeChecker()
  const reader = new TypeReader(tsc, checker, taken, dirname(resolve(file)))
  const entries = new Map<string, Map<string, EntryTypeInfo>>()
  for (const source of program.getSourceFiles()) {
    if (source.isDeclarationFile || source.fileName.includes('/node_modules/')) continue
    const visit = (node: ts.Node): void => {
      const found = keyspaceCall(tsc, node)
      if (found && !entries.has(found.namespace)) entries.set(found.namespace, reader.entries(found.entries))
      tsc.forEachChild(node, visit)
    }
    visit(source)
  }
  return { entries, typedDicts: reader.declarations, warnings: reader.warnings }
}

function createProgram(tsc: Ts, file: string): ts.Program {
  const configPath = tsc.findConfigFile(dirname(file), (path) => tsc.sys.fileExists(path))
  let options: ts.CompilerOptions = { strict: true, target: tsc.ScriptTarget.ES2022 }
  if (configPath) {
    const config = tsc.readConfigFile(configPath, (path) => tsc.sys.readFile(path))
    if (!config.error) {
      options = tsc.parseJsonConfigFileContent(config.config, tsc.sys, dirname(configPath)).options
    }
  }
  // Optional properties and nullable values are only visible with strict null checks.
  return tsc.createProgram([file], { ...options, strict: true, noEmit: true, skipLibCheck: true })
}

/** The entries of a `defineKeyspace` call whose namespace is not a literal. */
export const ANY_NAMESPACE = '*'

/** `defineKeyspace(ns, { ... })` (or `x.defineKeyspace`) with literal entries. */
function keyspaceCall(
  tsc: Ts,
  node: ts.Node,
): { namespace: string; entries: ts.ObjectLiteralExpression } | null {
  if (!tsc.isCallExpression(node)) return null
  const callee = node.expression
  const name = tsc.isIdentifier(callee)
    ? callee.text
    : tsc.isPropertyAccessExpression(callee)
      ? callee.name.text
      : null
  if (name !== 'defineKeyspace') return null
  const [namespace, entries] = node.arguments
  if (!namespace || !entries || !tsc.isObjectLiteralExpression(entries)) return null
  // A namespace computed at run time (a factory such as `defineShop(ns)`): its entries apply to
  // the keyspaces it builds, whatever their namespace (see ANY_NAMESPACE).
  return { namespace: tsc.isStringLiteralLike(namespace) ? namespace.text : ANY_NAMESPACE, entries }
}

class TypeReader {
  readonly declarations: TypedDictDecl[] = []
  readonly warnings: string[] = []
  readonly #named = new Map<ts.Type, string>()

  constructor(
    private readonly tsc: Ts,
    private readonly checker: ts.TypeChecker,
    private readonly taken: Set<string>,
    private readonly base: string,
  ) {}

  entries(literal: ts.ObjectLiteralExpression): Map<string, EntryTypeInfo> {
    const out = new Map<string, EntryTypeInfo>()
    for (const property of literal.properties) {
      if (
        !this.tsc.isPropertyAssignment(property) ||
        !this.tsc.isObjectLiteralExpression(property.initializer)
      )
        continue
      const entry = propertyName(this.tsc, property.name)
      if (entry === null) continue
      const typeProperty = property.initializer.properties.find(
        (p): p is ts.PropertyAssignment =>
          this.tsc.isPropertyAssignment(p) && propertyName(this.tsc, p.name) === 'type',
      )
      const call = typeProperty?.initializer
      if (!call || !this.tsc.isCallExpression(call)) continue
      const argument = call.typeArguments?.[0]
      if (!argument) {
        out.set(entry, { value: null, fields: null, written: null })
        continue
      }
      const type = this.checker.getTypeFromTypeNode(argument)
      const builder = this.tsc.isPropertyAccessExpression(call.expression) ? call.expression.name.text : ''
      // A hash's or stream's object type argument is its fields; any other type is every field's value.
      const fields = builder === 'hash' || builder === 'stream' ? this.fieldsOf(type, entry) : null
      let value = fields === null ? this.convert(type, pascal(entry), entry) : null
      // t.hash<Record<string, V>>(): a map whose every field holds a V.
      if ((builder === 'hash' || builder === 'stream') && value?.kind === 'dict') value = value.value
      out.set(entry, {
        value,
        fields,
        written: argument.getText(),
      })
    }
    return out
  }

  /** The properties of an object type (not an array, not a map): the fields of a hash or stream. */
  fieldsOf(type: ts.Type, where: string): PyField[] | null {
    if (!this.isShape(type)) return null
    return this.checker.getPropertiesOfType(type).map((symbol) => this.field(symbol, where))
  }

  convert(type: ts.Type, hint: string, where: string): PyType {
    const f = this.tsc.TypeFlags
    if (type.flags & (f.Any | f.Unknown)) return py.any
    if (type.flags & f.Boolean) return py.bool
    if (type.flags & f.StringLiteral)
      return { kind: 'literal', values: [(type as ts.StringLiteralType).value] }
    if (type.flags & f.NumberLiteral) {
      const value = (type as ts.NumberLiteralType).value
      return Number.isSafeInteger(value) ? { kind: 'literal', values: [value] } : py.float
    }
    if (type.flags & f.BooleanLiteral)
      return { kind: 'literal', values: [type === this.checker.getTrueType()] }
    if (type.flags & f.String) return py.str
    if (type.flags & f.Number) return py.float
    if (type.flags & (f.Null | f.Undefined | f.Void)) return py.none
    if (type.flags & (f.BigInt | f.BigIntLiteral)) {
      this.warn(where, 'a bigint is refused by the json codec and exact in msgpack only within ±(2^53 − 1)')
      return py.int
    }
    if (type.isUnion()) return union(type.types.map((member) => this.convert(member, hint, where)))
    if (type.flags & f.TypeParameter) return this.unsupported(where, 'a type parameter')
    if (this.checker.isTupleType(type)) {
      const items = this.checker.getTypeArguments(type as ts.TypeReference)
      return { kind: 'tuple', items: items.map((item, i) => this.convert(item, `${hint}${i}`, where)) }
    }
    if (this.checker.isArrayType(type)) {
      const [item] = this.checker.getTypeArguments(type as ts.TypeReference)
      return { kind: 'list', item: item ? this.convert(item, `${hint}Item`, where) : py.any }
    }
    if (type.flags & f.Object || type.isIntersection()) {
      if (type.getCallSignatures().length > 0 || type.getConstructSignatures().length > 0)
        return this.unsupported(where, 'a function')
      const symbolName = type.getSymbol()?.getName()
      if (symbolName && BYTES_OBJECTS.has(symbolName)) return py.bytes
      if (symbolName && BUILTIN_OBJECTS.has(symbolName)) return this.unsupported(where, `a ${symbolName}`)
      const properties = this.checker.getPropertiesOfType(type)
      const index = this.checker.getIndexInfoOfType(type, this.tsc.IndexKind.String)
      if (properties.length === 0 && index)
        return { kind: 'dict', value: this.convert(index.type, hint, where) }
      if (properties.length === 0) return { kind: 'dict', value: py.any }
      return { kind: 'ref', name: this.typedDict(type, hint, where) }
    }
    return this.unsupported(where, this.checker.typeToString(type))
  }

  private isShape(type: ts.Type): boolean {
    const f = this.tsc.TypeFlags
    if (!(type.flags & f.Object || type.isIntersection())) return false
    if (this.checker.isArrayType(type) || this.checker.isTupleType(type)) return false
    return this.checker.getPropertiesOfType(type).length > 0
  }

  private field(symbol: ts.Symbol, where: string): PyField {
    const optional = (symbol.flags & this.tsc.SymbolFlags.Optional) !== 0
    const type = this.checker.getTypeOfSymbol(symbol)
    const name = symbol.getName()
    const at = `${where}.${name}`
    // An optional property's type includes undefined: the key may be absent, not None.
    const members =
      optional && type.isUnion()
        ? type.types.filter((t) => !(t.flags & this.tsc.TypeFlags.Undefined))
        : [type]
    return { name, type: union(members.map((m) => this.convert(m, pascal(name), at))), required: !optional }
  }

  private typedDict(type: ts.Type, hint: string, where: string): string {
    const known = this.#named.get(type)
    if (known) return known
    const symbol = type.aliasSymbol ?? type.getSymbol()
    const declared = symbol && !symbol.getName().startsWith('__') ? symbol.getName() : hint
    let name = pascal(declared) || 'Value'
    for (let i = 2; this.taken.has(name); i++) name = `${pascal(declared)}${i}`
    this.taken.add(name)
    this.#named.set(type, name)
    const fields = this.checker.getPropertiesOfType(type).map((s) => this.field(s, where))
    const declaration = symbol?.declarations?.[0]
    const origin = declaration
      ? `${symbol!.getName().startsWith('__') ? 'object type' : symbol!.getName()} (${relative(this.base, declaration.getSourceFile().fileName) || '.'}:${declaration.getSourceFile().getLineAndCharacterOfPosition(declaration.getStart()).line + 1})`
      : this.checker.typeToString(type)
    this.declarations.push({ name, fields, origin: `The TypeScript type ${origin}.` })
    return name
  }

  private unsupported(where: string, what: string): PyType {
    this.warn(where, `${what} has no JSON form; typed Any`)
    return py.any
  }

  private warn(where: string, message: string): void {
    const text = `${where}: ${message}`
    if (!this.warnings.includes(text)) this.warnings.push(text)
  }
}

const BUILTIN_OBJECTS = new Set(['Date', 'Map', 'Set', 'WeakMap', 'WeakSet', 'Promise', 'RegExp'])
/** Binary values: bin in MessagePack, the bytes codec's values; bytes in Python. */
const BYTES_OBJECTS = new Set(['Buffer', 'Uint8Array'])

function propertyName(tsc: Ts, name: ts.PropertyName): string | null {
  if (tsc.isIdentifier(name) || tsc.isStringLiteral(name) || tsc.isNumericLiteral(name)) return name.text
  return null
}
