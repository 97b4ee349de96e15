/**
 * The errors of an exchange: a socket failure as `IOError`, and each decoder failure as its `HttpError`.
 * @internal
 */
import type { ConnectError, SocketError } from "../../Connector.js"
import {
  BadStatusLine,
  HeaderOverflow,
  HTTPConnectionError,
  type HttpError,
  IncompleteRead,
  IOError,
  ProtocolError,
  type RequestInfo,
  Timeout,
  UnknownTransferEncoding,
} from "../../HttpError.js"
import type { Origin } from "../../Url.js"
import type { Failure } from "../http1/model.js"

export const ioError = (info: RequestInfo, e: SocketError): HttpError =>
  new IOError({ request: info, code: e.code, reason: e.reason })

export const fromFailure = (info: RequestInfo, f: Failure): HttpError => {
  switch (f._tag) {
    case "BadStatusLine":
      return new BadStatusLine({ request: info, line: f.line })
    case "HeaderOverflow":
      return new HeaderOverflow({ request: info, limit: f.limit, max: f.max })
    case "ProtocolError":
      return new ProtocolError({ request: info, reason: f.reason, offset: f.offset })
    case "UnknownTransferEncoding":
      return new UnknownTransferEncoding({ request: info, encoding: f.encoding })
    case "IncompleteRead":
      return new IncompleteRead({ request: info, received: f.received, expected: f.expected })
  }
}

/** A proxy's CONNECT reply that broke HTTP/1.1, as the codec's error, saying that it was the proxy's. */
const proxyReplyFailure = (info: RequestInfo, f: Failure): HttpError => {
  const whose = "the proxy's CONNECT reply"
  if (f._tag === "HeaderOverflow") return fromFailure(info, { ...f, limit: `${f.limit} of ${whose}` })
  if (f._tag === "ProtocolError") return fromFailure(info, { ...f, reason: `${whose}: ${f.reason}` })
  return fromFailure(info, f)
}

/** Why a connection could not be opened, as the request's error (see `Connector.toHttpError`). */
export const connectFailure = (
  e: ConnectError,
  info: RequestInfo,
  origin: Origin,
  connectMillis: number,
): HttpError => {
  if (e.timeout === true) return new Timeout({ request: info, phase: "connect", millis: connectMillis })
  if (e.proxyReply !== undefined) return proxyReplyFailure(info, e.proxyReply)
  return new HTTPConnectionError({
    request: info,
    host: origin.host,
    port: origin.port,
    code: e.code,
    reason: e.reason,
  })
}
