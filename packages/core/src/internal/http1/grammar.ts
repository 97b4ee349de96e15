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

/** One challenge of a `WWW-Authenticate` or `Proxy-Authenticate` field (RFC 9110 §11.2). */
export interface AuthChallenge {
  /** The auth-scheme as sent (`Digest`, `Bearer` …); schemes compare case-insensitively. */
  readonly scheme: string
  /** The auth-params, names lower-cased, quoted values unescaped; the first of a repeated name wins. */
  readonly params: ReadonlyMap<string, string>
  /** The token68 form (`Basic dXNlcg==`), when the challenge has one instead of auth-params. */
  readonly token68: string | undefined
}

const isSpace = (c: number): boolean => c === 32 || c === 9
const isTchar = (c: number): boolean => c < 128 && tchar[c] === 1
/** token68's characters (RFC 9110 §11.2) before its `=` padding: ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/". */
const token68Char = new Uint8Array(128)
for (const c of "-._~+/0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") token68Char[c.charCodeAt(0)] = 1
const isToken68Char = (c: number): boolean => c < 128 && token68Char[c] === 1

/**
 * Parses a challenge field value, `#challenge` with `challenge = auth-scheme [ 1*SP ( token68 / #auth-param ) ]`
 * (RFC 9110 §11.2), in one pass: every character is looked at a bounded number of times, so a long value
 * costs linear time whatever it holds. Malformed parts are skipped to the next comma, as lenient clients do;
 * an auth-param before any scheme belongs to none and is dropped.
 */
/** A challenge being read: its params and token68 are filled in as they come. */
interface Challenge {
  scheme: string
  params: Map<string, string>
  token68: string | undefined
}

export const parseChallenges = (value: string): Array<AuthChallenge> => {
  const out: Array<Challenge> = []
  const n = value.length
  let i = 0
  const skip = (from: number, what: (c: number) => boolean): number => {
    let j = from
    while (j < n && what(value.charCodeAt(j))) j++
    return j
  }
  /** Past the next comma (or the end): where a malformed part is left behind. */
  const nextComma = (from: number): number => {
    const comma = value.indexOf(",", from)
    return comma === -1 ? n : comma + 1
  }
  while (i < n) {
    i = skip(i, (c) => isSpace(c) || c === 44)
    if (i >= n) break
    const start = i
    i = skip(i, isTchar)
    if (i === start) {
      i = nextComma(i)
      continue
    }
    const name = value.slice(start, i)
    const afterName = skip(i, isSpace)
    const current = out[out.length - 1]
    if (value.charCodeAt(afterName) === 61 && current !== undefined && current.token68 === undefined) {
      // auth-param = token BWS "=" BWS ( token / quoted-string )
      const param = paramValue(value, skip(afterName + 1, isSpace))
      if (param === undefined) {
        i = nextComma(afterName + 1)
        continue
      }
      const key = name.toLowerCase()
      if (!current.params.has(key)) current.params.set(key, param.value)
      i = param.end
      continue
    }
    if (value.charCodeAt(afterName) === 61) {
      i = nextComma(afterName + 1)
      continue
    }
    // A new challenge. After a space, token68 chars and their `=` padding that run to a comma or the end are
    // a token68 (an auth-param has a value after its `=`); anything else is the start of its auth-params.
    const challenge: Challenge = { scheme: name, params: new Map<string, string>(), token68: undefined }
    out.push(challenge)
    const t68 = skip(afterName, isToken68Char)
    const padded = skip(t68, (c) => c === 61)
    const after = skip(padded, isSpace)
    if (afterName > i && t68 > afterName && (after === n || value.charCodeAt(after) === 44)) {
      challenge.token68 = value.slice(afterName, padded)
      i = after
    } else i = afterName
  }
  return out
}

/** An auth-param's value from `at`: a token or a quoted string, unescaped, and where it ends. */
const paramValue = (value: string, at: number): { readonly value: string; readonly end: number } | undefined => {
  const n = value.length
  if (value.charCodeAt(at) !== 34) {
    let j = at
    while (j < n && isTchar(value.charCodeAt(j))) j++
    return j === at ? undefined : { value: value.slice(at, j), end: j }
  }
  let text = ""
  let j = at + 1
  while (j < n) {
    const c = value.charCodeAt(j)
    if (c === 34) return { value: text, end: j + 1 }
    if (c === 92 && j + 1 < n) {
      text += value[j + 1]
      j += 2
    } else {
      text += value[j]
      j++
    }
  }
  return undefined
}

/** One link of a `Link` field (RFC 8288 §3): its target as written and its parameters, names lower-cased. */
export interface LinkValue {
  readonly target: string
  readonly params: ReadonlyMap<string, string>
}

/**
 * Parses a `Link` field value (RFC 8288 §3: `<target>; name=value; …, <target>; …`) in one pass; a link
 * that is not of that form is skipped to the next comma outside its brackets.
 */
export const parseLinks = (value: string): Array<LinkValue> => {
  const out: Array<LinkValue> = []
  const n = value.length
  const skipSpaces = (from: number): number => {
    let j = from
    while (j < n && isSpace(value.charCodeAt(j))) j++
    return j
  }
  let i = 0
  while (i < n) {
    while (i < n && (isSpace(value.charCodeAt(i)) || value.charCodeAt(i) === 44)) i++
    if (i >= n) break
    const open = i
    const close = value.charCodeAt(open) === 60 ? value.indexOf(">", open + 1) : -1
    if (close === -1) {
      const comma = value.indexOf(",", i)
      i = comma === -1 ? n : comma + 1
      continue
    }
    const params = new Map<string, string>()
    i = skipSpaces(close + 1)
    // link-param = token BWS [ "=" BWS ( token / quoted-string ) ], each after a ";".
    while (i < n && value.charCodeAt(i) === 59) {
      i = skipSpaces(i + 1)
      const start = i
      while (i < n && isTchar(value.charCodeAt(i))) i++
      const name = value.slice(start, i).toLowerCase()
      i = skipSpaces(i)
      let param = ""
      if (value.charCodeAt(i) === 61) {
        const v = paramValue(value, skipSpaces(i + 1))
        if (v !== undefined) {
          param = v.value
          i = skipSpaces(v.end)
        } else i = skipSpaces(i + 1)
      }
      if (name !== "" && !params.has(name)) params.set(name, param)
      if (i === start) break
    }
    out.push({ target: value.slice(open + 1, close), params })
    const comma = value.indexOf(",", i)
    i = comma === -1 ? n : comma + 1
  }
  return out
}

/**
 * Parses a directive list, `#( token [ "=" ( token / quoted-string ) ] )` (`Cache-Control`, RFC 9111 §5.2;
 * `Pragma`), in one pass: names lower-cased, quoted values unescaped, a name without a value mapped to
 * `undefined`, and the first of a repeated name kept (§4.2.1 allows using the first). A malformed member is
 * skipped to the next comma.
 */
export const parseDirectives = (value: string): Map<string, string | undefined> => {
  const out = new Map<string, string | undefined>()
  const n = value.length
  let i = 0
  const skipSpaces = (from: number): number => {
    let j = from
    while (j < n && isSpace(value.charCodeAt(j))) j++
    return j
  }
  while (i < n) {
    while (i < n && (isSpace(value.charCodeAt(i)) || value.charCodeAt(i) === 44)) i++
    const start = i
    while (i < n && isTchar(value.charCodeAt(i))) i++
    const name = value.slice(start, i).toLowerCase()
    i = skipSpaces(i)
    let directive: string | undefined
    let valid = name !== ""
    if (valid && value.charCodeAt(i) === 61) {
      const v = paramValue(value, skipSpaces(i + 1))
      if (v === undefined) valid = false
      else {
        directive = v.value
        i = skipSpaces(v.end)
      }
    }
    if (valid && (i === n || value.charCodeAt(i) === 44)) {
      if (!out.has(name)) out.set(name, directive)
      continue
    }
    const comma = value.indexOf(",", i)
    i = comma === -1 ? n : comma + 1
  }
  return out
}

const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
const LONG_DAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]
const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
const TIME = "(\\d\\d):(\\d\\d):(\\d\\d)"
/** IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`. */
const imfFixdate = new RegExp(`^([a-z]{3}), (\\d\\d) ([a-z]{3}) (\\d{4}) ${TIME} GMT$`, "i")
/** rfc850-date: `Sunday, 06-Nov-94 08:49:37 GMT`. */
const rfc850Date = new RegExp(`^([a-z]{6,9}), (\\d\\d)-([a-z]{3})-(\\d\\d) ${TIME} GMT$`, "i")
/** asctime-date: `Sun Nov  6 08:49:37 1994`. */
const asctimeDate = new RegExp(`^([a-z]{3}) ([a-z]{3}) ([ \\d]\\d) ${TIME} (\\d{4})$`, "i")

/** Milliseconds since the epoch of a date and time in UTC, or undefined when a part is out of range. */
const utc = (year: number, month: number, day: number, hour: number, minute: number, second: number) => {
  if (month < 0 || day < 1 || hour > 23 || minute > 59 || second > 60) return undefined
  const ms = Date.UTC(year, month, day, hour, minute, Math.min(second, 59))
  // Date.UTC rolls 31 Feb over into March: such a date is not a date.
  return new Date(ms).getUTCDate() === day ? ms : undefined
}

/**
 * Parses an HTTP-date in any of its three forms (RFC 9110 §5.6.7): IMF-fixdate, and the obsolete rfc850-date
 * and asctime-date that recipients must accept, in UTC; undefined for anything else (a recipient treats such a
 * value as invalid, never as local time). A two-digit year more than 50 years after `now` is read as the
 * latest year in the past with those digits, as §5.6.7 says.
 */
export const parseHttpDate = (value: string, now: number = Date.now()): number | undefined => {
  const s = value.trim()
  const imf = imfFixdate.exec(s)
  if (imf !== null) {
    const [, day, date, month, year, h, m, sec] = imf
    if (!DAYS.includes((day ?? "").toLowerCase())) return undefined
    const mo = MONTHS.indexOf((month ?? "").toLowerCase())
    return utc(Number(year), mo, Number(date), Number(h), Number(m), Number(sec))
  }
  const rfc850 = rfc850Date.exec(s)
  if (rfc850 !== null) {
    const [, day, date, month, yy, h, m, sec] = rfc850
    if (!LONG_DAYS.includes((day ?? "").toLowerCase())) return undefined
    const mo = MONTHS.indexOf((month ?? "").toLowerCase())
    const thisYear = new Date(now).getUTCFullYear()
    let year = Math.floor(thisYear / 100) * 100 + Number(yy)
    if (year > thisYear + 50) year -= 100
    return utc(year, mo, Number(date), Number(h), Number(m), Number(sec))
  }
  const asctime = asctimeDate.exec(s)
  if (asctime !== null) {
    const [, day, month, date, h, m, sec, year] = asctime
    if (!DAYS.includes((day ?? "").toLowerCase())) return undefined
    const mo = MONTHS.indexOf((month ?? "").toLowerCase())
    return utc(Number(year), mo, Number((date ?? "").trim()), Number(h), Number(m), Number(sec))
  }
  return undefined
}
