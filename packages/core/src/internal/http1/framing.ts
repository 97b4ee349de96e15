/**
 * How a response's body is delimited (RFC 9112 §6.3) and whether its connection persists (§9.3), each
 * decided by a pure function of the head and the request; the decoder then applies what they say.
 * @internal
 */
import type { Pairs } from "./model.js"

/** The fields that decide framing and persistence, gathered in one pass over the head. */
export interface Delimiters {
  /** Every Transfer-Encoding value, joined with ", ". */
  readonly transferEncoding: string | undefined
  /** Every Content-Length value, joined with ", ". */
  readonly contentLength: string | undefined
  /** Every Connection token, lower-cased, each after a comma. */
  readonly connection: string
  /** The server's `Keep-Alive: timeout=N` hint, in seconds. */
  readonly keepAliveTimeout: number | undefined
}

/** How the body is delimited, or why it cannot be. */
export type Framing =
  /** No body: a response to HEAD, a 204 or a 304 (rule 1). */
  | { readonly _tag: "None" }
  /** Chunked transfer coding (rule 4). */
  | { readonly _tag: "Chunked" }
  /** Exactly `length` bytes (rules 5 and 6). */
  | { readonly _tag: "Length"; readonly length: number }
  /** Until the server closes the connection (rule 8). */
  | { readonly _tag: "UntilClose" }
  /** Framing that a strict client refuses. */
  | { readonly _tag: "Refused"; readonly reason: "Smuggling" | "UnknownCoding" | "BadLength"; readonly value: string }

export const delimitersOf = (headers: Pairs): Delimiters => {
  let transferEncoding: string | undefined
  let contentLength: string | undefined
  let connection = ""
  let keepAliveTimeout: number | undefined
  for (const [name, value] of headers) {
    // Compare lengths first: most fields are none of these, and lower-casing every name allocates.
    const n = name.length
    if (n === 17 && name.toLowerCase() === "transfer-encoding") {
      transferEncoding = transferEncoding === undefined ? value : `${transferEncoding}, ${value}`
    } else if (n === 14 && name.toLowerCase() === "content-length") {
      contentLength = contentLength === undefined ? value : `${contentLength}, ${value}`
    } else if (n === 10) {
      const lower = name.toLowerCase()
      if (lower === "connection") connection += `,${value.toLowerCase()}`
      else if (lower === "keep-alive") {
        const hint = /(?:^|[,\s])timeout\s*=\s*(\d{1,9})/i.exec(value)
        if (hint !== null) keepAliveTimeout = Number(hint[1])
      }
    }
  }
  return { transferEncoding, contentLength, connection, keepAliveTimeout }
}

/** A Connection token among the comma-separated ones (`connection` is lower-cased, each after a comma). */
const closeToken = /,[ \t]*close[ \t]*(?=,|$)/
const keepAliveToken = /,[ \t]*keep-alive[ \t]*(?=,|$)/

/** Whether the connection may carry another exchange after this response, as its head says. */
export const persistsAfter = (version: 10 | 11, d: Delimiters): boolean => {
  if (d.connection === "") return version === 11
  return version === 11 ? !closeToken.test(d.connection) : keepAliveToken.test(d.connection)
}

/** The one value repeated Content-Length values agree on, or undefined when they differ. */
const agreed = (values: string): string | undefined => {
  const all = new Set(values.split(",").map((v) => v.trim()))
  return all.size === 1 ? [...all][0] : undefined
}

/** The length repeated Content-Length values agree on, when it is plain digits; undefined otherwise. */
export const lengthOf = (cl: string): number | undefined => {
  // Most heads have one plain value: checked without splitting.
  const only = cl.includes(",") ? agreed(cl) : cl
  return only === undefined || !/^\d{1,15}$/.test(only) ? undefined : Number(only)
}

/** Whether a response has no body whatever its framing fields say: to HEAD, or a 204 or 304 (RFC 9110 §6.4.1). */
export const bodiless = (method: string, status: number): boolean =>
  method === "HEAD" || status === 204 || status === 304

/** Chooses the body's framing: RFC 9112 §6.3, rules numbered as there. */
export const framingOf = (
  head: { readonly status: number; readonly delimiters: Delimiters },
  request: { readonly method: string },
): Framing => {
  const { transferEncoding: te, contentLength: cl } = head.delimiters
  // 1. A response to HEAD, and any 1xx, 204 or 304 response, ends with the head.
  if (bodiless(request.method, head.status)) return { _tag: "None" }
  // 2. A 2xx to CONNECT turns the connection into a tunnel right after the head; its framing fields are ignored.
  if (request.method === "CONNECT" && head.status >= 200 && head.status < 300) return { _tag: "None" }
  // 3. Transfer-Encoding with Content-Length is a smuggling vector: strict clients reject it.
  if (te !== undefined && cl !== undefined) return { _tag: "Refused", reason: "Smuggling", value: te }
  // 4. Transfer-Encoding: Courier decodes only a single final `chunked` (see docs/ARCHITECTURE.md).
  if (te !== undefined) {
    const codings = te.split(",").map((t) => t.trim().toLowerCase())
    return codings.length === 1 && codings[0] === "chunked"
      ? { _tag: "Chunked" }
      : { _tag: "Refused", reason: "UnknownCoding", value: te }
  }
  // 5/6. Content-Length: repeated values must agree and be plain digits.
  if (cl !== undefined) {
    const length = lengthOf(cl)
    return length === undefined ? { _tag: "Refused", reason: "BadLength", value: cl } : { _tag: "Length", length }
  }
  // 8. Otherwise the body runs until the server closes the connection.
  return { _tag: "UntilClose" }
}
