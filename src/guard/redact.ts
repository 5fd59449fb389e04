import { text } from './args.js'
import type { KeySel, Profile } from './profile.js'
import type { GuardCommand, GuardContext } from './types.js'

/**
 * The keys of a command, and the command as a violation shows it: its name and its keys, never a
 * value (values can hold personal data or secrets).
 */

/** The keys a write or read selection names: one argv index, or all (or all but the first) from the context. */
export function keysAt(sel: KeySel, command: GuardCommand, ctx: GuardContext): readonly string[] {
  if (typeof sel === 'number') return sel < command.length ? [text(command[sel])] : []
  const all = ctx.keysOf(command)
  return sel === 'all' ? all : all.slice(1)
}

const SHOWN_KEYS = 4
const SHOWN_KEY_LENGTH = 100

/** The command name (and subcommand) and its keys: values never appear in an error or event. */
export function redact(profile: Profile, command: GuardCommand, ctx: GuardContext): string {
  const at = profile.keys
  const keys =
    at === 'none'
      ? []
      : typeof at === 'number'
        ? at < command.length
          ? [text(command[at])]
          : []
        : ctx.keysOf(command)
  let out = profile.name
  for (let i = 0; i < keys.length && i < SHOWN_KEYS; i++) out += ` ${showKey(keys[i]!)}`
  if (keys.length > SHOWN_KEYS) out += ` …(+${keys.length - SHOWN_KEYS} keys)`
  return out
}

function showKey(key: string): string {
  const cut = key.length > SHOWN_KEY_LENGTH ? `${key.slice(0, SHOWN_KEY_LENGTH)}…` : key
  // Quote keys that would be ambiguous in one line of text (spaces, quotes, control bytes).
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control bytes are exactly what is looked for
  return /[\s"'\\\u0000-\u001f\u007f]/.test(cut) || cut === '' ? JSON.stringify(cut) : cut
}
