/**
 * The scripts declared with `defineScript`, by source and by SHA1, so the guard can read them
 * whether they travel as EVAL (the NOSCRIPT fallback, pipelines) or as EVALSHA, which carries no
 * source (guard/scripts.ts). A declared script is held to the hard stops of the commands it
 * names, like a script built at the call site; what it may do besides — computed command names,
 * computed keys — is what its declaration vouches for (`reviewed`, its KEYS/ARGV header).
 */
export interface DeclaredScript {
  readonly name: string
  readonly source: string
  /** Lower-case hex SHA1 of the source: what EVALSHA names. */
  readonly sha: string
  /**
   * Why computed command names in it are safe (`defineScript({ reviewed })`), or null: then a
   * call whose command name is not a literal is refused like any other script's.
   */
  readonly reviewed: string | null
}

const bySource = new Map<string, DeclaredScript>()
const bySha = new Map<string, DeclaredScript>()

/**
 * Called by defineScript. The same source declared twice (a module loaded twice, two names for
 * one file) stays reviewed once any declaration of it says why.
 */
export function registerScriptSource(source: string, script: Omit<DeclaredScript, 'source'>): void {
  const known = bySource.get(source)
  if (known?.reviewed != null && script.reviewed === null) return
  const declared: DeclaredScript = Object.freeze({ ...script, source, sha: script.sha.toLowerCase() })
  bySource.set(source, declared)
  bySha.set(declared.sha, declared)
}

/** The declaration of this exact source, if defineScript declared it. */
export function declaredBySource(source: string): DeclaredScript | undefined {
  return bySource.get(source)
}

/** The declaration behind an EVALSHA's SHA1 (either case), if defineScript declared it. */
export function declaredBySha(sha: string): DeclaredScript | undefined {
  return bySha.get(sha) ?? bySha.get(sha.toLowerCase())
}

/** True for the exact source of a `defineScript` script. */
export function isDeclaredScript(source: string): boolean {
  return bySource.has(source)
}

/** The source of every script declared so far (each once). */
export function declaredScriptSources(): string[] {
  return [...bySource.keys()]
}

/** The SHA1 of every script declared so far (each once). */
export function declaredShas(): string[] {
  return [...bySha.keys()]
}
