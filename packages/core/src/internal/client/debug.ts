/**
 * The lines of the Client's debug log (httplib's `set_debuglevel` for the whole client): each request head
 * as the wire carries it and each response head, credentials redacted, with the connection that carried it.
 * @internal
 */

import * as Headers from "../../Headers.js"
import * as Request from "../../Request.js"
import type * as Response from "../../Response.js"
import type * as Url from "../../Url.js"
import { Result } from "../shared/edition.js"
import { redactUrl } from "../shared/request.js"

const fieldLines = (headers: Headers.Headers): string =>
  headers.entries.map(([k, v]) => `\n  ${k}: ${Headers.isSensitive(k) ? "<redacted>" : v}`).join("")

/** `courier: send GET https://host/path` and the head's fields as written. */
export const requestHead = (request: Request.Request, url: Url.Url, secrets: ReadonlyArray<string>): string => {
  const fields = Request.wireHeaders(request, url)
  const shown = redactUrl(url.href, secrets)
  return `courier: send ${request.method} ${shown}${Result.isSuccess(fields) ? fieldLines(Result.success(fields)) : ""}`
}

/** `courier: got 200 OK (HTTP/1.1, connection 3 reused to 127.0.0.1:8080)` and the head's fields. */
export const responseHead = (response: Response.Response): string => {
  const c = response.connection
  const peer =
    c?.peer === undefined
      ? ""
      : ` to ${c.peer.port === undefined ? c.peer.address : `${c.peer.address.includes(":") ? `[${c.peer.address}]` : c.peer.address}:${c.peer.port}`}`
  const via = c === undefined ? "" : `, connection ${c.id} ${c.reused ? "reused" : "new"}${peer}`
  return `courier: got ${response.status} ${response.reason} (${response.version}${via})${fieldLines(response.headers)}`
}
