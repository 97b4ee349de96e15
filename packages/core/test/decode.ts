/** Runs the decoder over a list of chunks and collects what it produced, for the wire tests. */
import { Http1 } from "@courier/core"

export interface Outcome {
  version?: number
  status?: number
  reason?: string
  headers?: ReadonlyArray<readonly [string, string]>
  keepAlive?: boolean
  body: string
  trailers?: ReadonlyArray<readonly [string, string]>
  informational: Array<number>
  error?: Http1.Failure
  leftover: string
  ended: boolean
}

export const latin1 = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0))
const text = (b: Uint8Array): string => String.fromCharCode(...b)

export const decodeChunks = (
  method: string,
  chunks: ReadonlyArray<Uint8Array>,
  eof: boolean,
  limits: Partial<Http1.Limits> = {},
): Outcome => {
  const decoder = Http1.makeDecoder(method, limits)
  const outcome: Outcome = { body: "", informational: [], leftover: "", ended: false }
  const apply = (events: ReadonlyArray<Http1.Event>) => {
    for (const e of events) {
      switch (e._tag) {
        case "Head":
          outcome.version = e.version
          outcome.status = e.status
          outcome.reason = e.reason
          outcome.headers = e.headers
          outcome.keepAlive = e.keepAlive
          break
        case "Informational":
          outcome.informational.push(e.status)
          break
        case "Data":
          outcome.body += text(e.chunk)
          break
        case "End":
          outcome.trailers = e.trailers
          outcome.ended = true
          break
        case "Error":
          outcome.error = e.failure
          break
        case "NeedData":
          break
      }
    }
  }
  for (const chunk of chunks) {
    if (outcome.error !== undefined) break
    apply(decoder.feed(chunk))
  }
  if (eof && outcome.error === undefined) apply(decoder.eof())
  outcome.leftover = text(decoder.leftover)
  return outcome
}

/** Every way the cases are cut into chunks: whole, byte by byte, and in two at every offset. */
export const splits = (bytes: Uint8Array): Array<{ readonly label: string; readonly chunks: Array<Uint8Array> }> => {
  const out = [
    { label: "whole", chunks: [bytes] },
    { label: "byte by byte", chunks: Array.from(bytes, (_, i) => bytes.subarray(i, i + 1)) },
  ]
  for (let i = 1; i < bytes.length; i++) {
    out.push({ label: `split at ${i}`, chunks: [bytes.subarray(0, i), bytes.subarray(i)] })
  }
  return out
}
