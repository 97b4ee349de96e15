/**
 * HTTP's grammar, written once (RFC 9110 §5.5, §5.6; RFC 9112 §7.1.1): tokens, field values, OWS,
 * quoted strings and chunk extensions, as predicates and as pattern sources for the places that match a
 * larger production. Used by `Headers` (what may be sent), head encoding, the decoder, field parsing and
 * the auth flows' challenge parsing.
 * @internal
 */

/** tchar (RFC 9110 §5.6.2), as the body of a character class. */
export const TCHAR = "!#$%&'*+\\-.^_`|~0-9A-Za-z"

/** OWS (RFC 9110 §5.6.3): optional spaces and tabs. */
export const OWS = "[ \\t]*"

/** quoted-string (RFC 9110 §5.6.4): qdtext and quoted-pairs between double quotes. */
export const QUOTED_STRING = '"(?:[\\t\\x20\\x21\\x23-\\x5b\\x5d-\\x7e\\x80-\\xff]|\\\\[\\t\\x20-\\x7e\\x80-\\xff])*"'

/** A whole token. */
export const tokenPattern = new RegExp(`^[${TCHAR}]+$`)

/** chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] ) (RFC 9112 §7.1.1). */
export const chunkExtensionPattern = new RegExp(
  `^(?:${OWS};${OWS}[${TCHAR}]+(?:${OWS}=${OWS}(?:[${TCHAR}]+|${QUOTED_STRING}))?)*$`,
)

/** A character a received field value may not hold: controls other than HTAB, and DEL (obs-text is allowed). */
export const receivedValueForbidden = /[\x00-\x08\x0a-\x1f\x7f]/

const tchar = new Uint8Array(128)
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
  tchar[c.charCodeAt(0)] = 1
}

/** Whether `s` is a token: a valid field name or method. A table lookup per character (names are checked on every send). */
export const isToken = (s: string): boolean => {
  if (s.length === 0) return false
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c > 127 || tchar[c] !== 1) return false
  }
  return true
}

/**
 * Why a field value cannot be sent, or undefined when it can: visible characters, SP, HTAB and obs-text
 * (0x80–0xFF) only; CR, LF and NUL would let a caller smuggle framing.
 */
export const unsendableValueReason = (value: string): string | undefined => {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (c === 13 || c === 10) return "value contains CR or LF"
    if (c === 0) return "value contains NUL"
    if ((c < 32 && c !== 9) || c === 127) return `value contains control character 0x${c.toString(16)}`
    if (c > 255) return "value has a character outside latin1"
  }
  return undefined
}
