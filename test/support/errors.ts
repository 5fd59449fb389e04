/** The `code` of what a call throws (or rejects with); undefined when it succeeds. */
export async function codeOf(promise: Promise<unknown> | (() => unknown)): Promise<string | undefined> {
  try {
    await (typeof promise === 'function' ? promise() : promise)
  } catch (error) {
    return (error as { code?: string }).code ?? `no code: ${String(error)}`
  }
  return undefined
}
