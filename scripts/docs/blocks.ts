/**
 * The TypeScript blocks of the docs: every ```ts fence of README.md and docs/*.md, in order, with
 * where it is. `scripts/check-docs.ts` type-checks them all (`npm run check`); the ones whose fence
 * says ```ts runnable are also run against a real server by test/docs/runnable.test.ts (`npm test`).
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import ts from 'typescript'

export interface DocBlock {
  /** The markdown file, relative to the repository root: `README.md`, `docs/cache.md`. */
  readonly file: string
  /** 1-based line of the opening fence. */
  readonly line: number
  /** A name fit for a file: `README.md-L123`. */
  readonly name: string
  /** ```ts runnable: self-contained, run against the server in REDIS_URL by `npm test`. */
  readonly runnable: boolean
  readonly code: string
}

/** The markdown files whose blocks are checked: the README and docs/*.md (not docs/api, generated). */
export function docFiles(root: string): string[] {
  const docs = readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => join(root, 'docs', name))
  return [join(root, 'README.md'), ...docs]
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)(.*)$/

/** Every ```ts / ```typescript block of one markdown text. */
export function extractBlocks(file: string, markdown: string): DocBlock[] {
  const lines = markdown.split('\n')
  const blocks: DocBlock[] = []
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!)
    if (!open) continue
    const [, indent = '', fence = '```', lang = '', info = ''] = open
    const body: string[] = []
    let j = i + 1
    for (; j < lines.length; j++) {
      const line = lines[j]!
      if (line.trim().startsWith(fence) && line.trim().replace(/[`~]/g, '') === '') break
      body.push(line.startsWith(indent) ? line.slice(indent.length) : line)
    }
    if (lang === 'ts' || lang === 'typescript')
      blocks.push({
        file,
        line: i + 1,
        name: `${file.replace(/[^\w.-]+/g, '_')}-L${i + 1}`,
        runnable: /\brunnable\b/.test(info),
        code: `${body.join('\n')}\n`,
      })
    i = j
  }
  return blocks
}

/** The blocks of README.md and docs/*.md. */
export function allBlocks(root: string): DocBlock[] {
  return docFiles(root).flatMap((path) => extractBlocks(relative(root, path), readFileSync(path, 'utf8')))
}

/**
 * Each block as a module of its own, the way its reader sees it: a block reads on from the blocks
 * above it in the same file, so it gets their imports (those that do not clash with its own names),
 * all on its first line (line 0; the block's own line 1 is the module's line 1), and `export {}`
 * at the end, so that it is a module even without imports (its declarations then shadow the
 * check's prelude). The type check and the runner use the same text.
 */
export function blockModules(blocks: readonly DocBlock[]): { block: DocBlock; source: string }[] {
  const importsSoFar = new Map<string, ts.ImportDeclaration[]>()
  return blocks.map((block) => {
    const parsed = ts.createSourceFile(`${block.name}.ts`, block.code, ts.ScriptTarget.ES2022, true)
    const earlier = importsSoFar.get(block.file) ?? []
    const own = topLevelNames(parsed)
    const inherited = earlier
      .filter((decl) => !importedNames(decl).some((name) => own.has(name)))
      .map((decl) =>
        decl
          .getText()
          .replace(/\s*\n\s*/g, ' ')
          .replace(/;$/, ''),
      )
    importsSoFar.set(block.file, [...earlier, ...parsed.statements.filter(ts.isImportDeclaration)])
    return { block, source: `${[...new Set(inherited)].join('; ')}\n${block.code}export {}\n` }
  })
}

/** The names a block declares at its top level: imports, variables, functions, classes, types. */
function topLevelNames(source: ts.SourceFile): Set<string> {
  const names = new Set<string>()
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement)) for (const name of importedNames(statement)) names.add(name)
    else if (ts.isVariableStatement(statement))
      for (const decl of statement.declarationList.declarations) bindingNames(decl.name, names)
    else if (
      (ts.isFunctionDeclaration(statement) ||
        ts.isClassDeclaration(statement) ||
        ts.isInterfaceDeclaration(statement) ||
        ts.isTypeAliasDeclaration(statement) ||
        ts.isEnumDeclaration(statement)) &&
      statement.name
    )
      names.add(statement.name.text)
  }
  return names
}

function bindingNames(name: ts.BindingName, into: Set<string>): void {
  if (ts.isIdentifier(name)) into.add(name.text)
  else
    for (const element of name.elements)
      if (!ts.isOmittedExpression(element)) bindingNames(element.name, into)
}

function importedNames(decl: ts.ImportDeclaration): string[] {
  const clause = decl.importClause
  if (!clause) return []
  const names = clause.name ? [clause.name.text] : []
  const bindings = clause.namedBindings
  if (bindings && ts.isNamespaceImport(bindings)) names.push(bindings.name.text)
  else if (bindings) for (const element of bindings.elements) names.push(element.name.text)
  return names
}
