/**
 * What HTTP/1.1 adds to a request's fields when it writes the head (RFC 9112 §6.1, §6.2, §9.3.6): the
 * body's framing — `Content-Length`, or `Transfer-Encoding: chunked` for a body of unknown length — then
 * `Expect: 100-continue`, and a forwarding proxy's credentials. Host goes first, written by the encoder.
 * @internal
 */
import type { Outgoing } from "../shared/outgoing.js"

/** The fields after Host, as an HTTP/1.1 head writes them. */
export const framedFields = (
  o: Outgoing,
  forward: { readonly authorization: string | undefined } | undefined,
): Array<readonly [string, string]> => {
  const fields = [...o.fields]
  if (o.length === undefined) fields.push(["Transfer-Encoding", "chunked"])
  else if (o.contentLength !== undefined) fields.push(["Content-Length", String(o.contentLength)])
  if (o.expect) fields.push(["Expect", "100-continue"])
  if (forward?.authorization !== undefined && !fields.some(([k]) => k.toLowerCase() === "proxy-authorization")) {
    fields.push(["Proxy-Authorization", forward.authorization])
  }
  return fields
}
