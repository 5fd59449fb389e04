/**
 * The sources of the scripts declared with `defineScript`: the guard trusts them as reviewed
 * (each lives in its own .lua file, its KEYS and ARGV documented in its header, its keys checked
 * for slot and durability at every call) and reads every other script it is handed — an EVAL,
 * EVAL_RO or FUNCTION LOAD built at the call site — before sending it (guard/scripts.ts).
 */
const declared = new Set<string>()

export function registerScriptSource(source: string): void {
  declared.add(source)
}

/** True for the exact source of a `defineScript` script. */
export function isDeclaredScript(source: string): boolean {
  return declared.has(source)
}
