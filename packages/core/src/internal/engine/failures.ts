/**
 * The errors of an exchange: a socket failure as `IOError`, and each decoder failure as its `HttpError`.
 * @internal
 */
import type { SocketError } from "../../Connector.js"
import {
  BadStatusLine,
  HeaderOverflow,
  type HttpError,
  IncompleteRead,
  IOError,
  ProtocolError,
  type RequestInfo,
  UnknownTransferEncoding,
} from "../../HttpError.js"
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
