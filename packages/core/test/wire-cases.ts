/** The table of response wire cases: every case runs whole, byte by byte, split at every offset and with trailing bytes. */
export interface Decoded {
  readonly version?: 10 | 11
  readonly status: number
  readonly reason?: string
  readonly headers?: ReadonlyArray<readonly [string, string]>
  readonly body: string
  readonly trailers?: ReadonlyArray<readonly [string, string]>
  readonly keepAlive?: boolean
  readonly informational?: ReadonlyArray<number>
}

export interface WireCase {
  readonly name: string
  readonly method?: string
  readonly wire: string
  /** Whether the peer closes after the bytes (needed for read-until-close and truncation cases). */
  readonly eof?: boolean
  readonly expect: Decoded | { readonly error: string; readonly detail?: Record<string, unknown> }
}

const head = (lines: ReadonlyArray<string>, eol = "\r\n") => lines.join(eol) + eol + eol

export const wireCases: ReadonlyArray<WireCase> = [
  {
    name: "Content-Length body",
    wire: head(["HTTP/1.1 200 OK", "Content-Length: 5", "Content-Type: text/plain"]) + "hello",
    expect: {
      version: 11,
      status: 200,
      reason: "OK",
      headers: [
        ["Content-Length", "5"],
        ["Content-Type", "text/plain"],
      ],
      body: "hello",
      keepAlive: true,
    },
  },
  {
    name: "zero Content-Length",
    wire: head(["HTTP/1.1 200 OK", "Content-Length: 0"]),
    expect: { status: 200, body: "", keepAlive: true },
  },
  {
    name: "chunked body with extensions and trailers",
    wire: `${head(["HTTP/1.1 200 OK", "Transfer-Encoding: chunked"])}5;name=value\r\nhello\r\n1 ; q="a b"\r\n!\r\n0\r\nX-Checksum: abc\r\nX-Other:  two \r\n\r\n`,
    expect: {
      status: 200,
      body: "hello!",
      trailers: [
        ["X-Checksum", "abc"],
        ["X-Other", "two"],
      ],
      keepAlive: true,
    },
  },
  {
    name: "chunked body with upper-case hex and no trailers",
    wire: `${head(["HTTP/1.1 200 OK", "Transfer-Encoding: Chunked"])}A\r\n0123456789\r\n0\r\n\r\n`,
    expect: { status: 200, body: "0123456789", trailers: [], keepAlive: true },
  },
  {
    name: "read until close",
    wire: `${head(["HTTP/1.1 200 OK", "Content-Type: text/plain"])}until the end`,
    eof: true,
    expect: { status: 200, body: "until the end", keepAlive: false },
  },
  {
    name: "HEAD response has no body despite Content-Length",
    method: "HEAD",
    wire: head(["HTTP/1.1 200 OK", "Content-Length: 1234"]),
    expect: { status: 200, body: "", keepAlive: true },
  },
  { name: "204 has no body", wire: head(["HTTP/1.1 204 No Content"]), expect: { status: 204, body: "" } },
  {
    name: "304 has no body despite Content-Length",
    wire: head(["HTTP/1.1 304 Not Modified", "Content-Length: 10"]),
    expect: { status: 304, body: "" },
  },
  {
    name: "HTTP/1.0 closes unless keep-alive is asked",
    wire: head(["HTTP/1.0 200 OK", "Content-Length: 2"]) + "ok",
    expect: { version: 10, status: 200, body: "ok", keepAlive: false },
  },
  {
    name: "HTTP/1.0 with Connection: keep-alive",
    wire: head(["HTTP/1.0 200 OK", "Connection: Keep-Alive", "Content-Length: 2"]) + "ok",
    expect: { version: 10, status: 200, body: "ok", keepAlive: true },
  },
  {
    name: "Connection: close",
    wire: head(["HTTP/1.1 200 OK", "Connection: close", "Content-Length: 2"]) + "ok",
    expect: { status: 200, body: "ok", keepAlive: false },
  },
  {
    name: "bare LF line ends in the head",
    wire: head(["HTTP/1.1 200 OK", "Content-Length: 2"], "\n") + "ok",
    expect: { status: 200, body: "ok" },
  },
  {
    name: "obs-fold is replaced by one space",
    wire: head(["HTTP/1.1 200 OK", "X-Folded: first", "   second", "Content-Length: 0"]),
    expect: {
      status: 200,
      body: "",
      headers: [
        ["X-Folded", "first second"],
        ["Content-Length", "0"],
      ],
    },
  },
  {
    name: "empty reason phrase",
    wire: head(["HTTP/1.1 299 ", "Content-Length: 0"]),
    expect: { status: 299, reason: "", body: "" },
  },
  {
    name: "missing reason phrase",
    wire: head(["HTTP/1.1 200", "Content-Length: 0"]),
    expect: { status: 200, reason: "", body: "" },
  },
  {
    name: "duplicate headers keep their order",
    wire: head(["HTTP/1.1 200 OK", "Set-Cookie: a=1", "set-cookie: b=2", "Content-Length: 0"]),
    expect: {
      status: 200,
      body: "",
      headers: [
        ["Set-Cookie", "a=1"],
        ["set-cookie", "b=2"],
        ["Content-Length", "0"],
      ],
    },
  },
  {
    name: "repeated equal Content-Length values are one length",
    wire: head(["HTTP/1.1 200 OK", "Content-Length: 3", "Content-Length: 3"]) + "abc",
    expect: { status: 200, body: "abc" },
  },
  {
    name: "100 Continue and 103 Early Hints before the final response",
    wire:
      head(["HTTP/1.1 100 Continue"]) +
      head(["HTTP/1.1 103 Early Hints", "Link: </a.css>; rel=preload"]) +
      head(["HTTP/1.1 200 OK", "Content-Length: 2"]) +
      "ok",
    expect: { status: 200, body: "ok", informational: [100, 103] },
  },
  {
    name: "latin1 obs-text in a value",
    wire: head(["HTTP/1.1 200 OK", "X-Name: caf\xe9", "Content-Length: 0"]),
    expect: {
      status: 200,
      body: "",
      headers: [
        ["X-Name", "caf\xe9"],
        ["Content-Length", "0"],
      ],
    },
  },
  // Errors
  { name: "not HTTP at all", wire: "SSH-2.0-OpenSSH_9.2\r\n", expect: { error: "BadStatusLine" } },
  { name: "status code of two digits", wire: head(["HTTP/1.1 20 OK"]), expect: { error: "BadStatusLine" } },
  { name: "HTTP/2 status line", wire: head(["HTTP/2.0 200 OK"]), expect: { error: "BadStatusLine" } },
  { name: "lower-case protocol name", wire: head(["http/1.1 200 OK"]), expect: { error: "BadStatusLine" } },
  {
    name: "closed before any byte",
    wire: "",
    eof: true,
    expect: { error: "BadStatusLine", detail: { line: "" } },
  },
  {
    name: "whitespace before the colon",
    wire: head(["HTTP/1.1 200 OK", "Content-Length : 0"]),
    expect: { error: "ProtocolError" },
  },
  {
    name: "invalid header name",
    wire: head(["HTTP/1.1 200 OK", "Bad[Name]: x"]),
    expect: { error: "ProtocolError" },
  },
  {
    name: "field line without a colon",
    wire: head(["HTTP/1.1 200 OK", "NoColonHere"]),
    expect: { error: "ProtocolError" },
  },
  {
    name: "continuation line before any field",
    wire: head(["HTTP/1.1 200 OK", " folded"]),
    expect: { error: "ProtocolError" },
  },
  {
    name: "bare CR inside a field",
    wire: head(["HTTP/1.1 200 OK", "X-A: a\rb", "Content-Length: 0"]),
    expect: { error: "ProtocolError" },
  },
  {
    name: "Transfer-Encoding together with Content-Length",
    wire: head(["HTTP/1.1 200 OK", "Transfer-Encoding: chunked", "Content-Length: 5"]),
    expect: { error: "ProtocolError" },
  },
  {
    name: "conflicting Content-Length",
    wire: head(["HTTP/1.1 200 OK", "Content-Length: 5", "Content-Length: 6"]),
    expect: { error: "ProtocolError" },
  },
  {
    name: "negative Content-Length",
    wire: head(["HTTP/1.1 200 OK", "Content-Length: -1"]),
    expect: { error: "ProtocolError" },
  },
  {
    name: "gzip transfer coding",
    wire: head(["HTTP/1.1 200 OK", "Transfer-Encoding: gzip, chunked"]),
    expect: { error: "UnknownTransferEncoding", detail: { encoding: "gzip, chunked" } },
  },
  {
    name: "invalid chunk size",
    wire: `${head(["HTTP/1.1 200 OK", "Transfer-Encoding: chunked"])}zz\r\n`,
    expect: { error: "ProtocolError" },
  },
  {
    name: "chunk size line ended by a bare LF",
    wire: `${head(["HTTP/1.1 200 OK", "Transfer-Encoding: chunked"])}5\nhello\r\n0\r\n\r\n`,
    expect: { error: "ProtocolError" },
  },
  {
    name: "chunk data not followed by CRLF",
    wire: `${head(["HTTP/1.1 200 OK", "Transfer-Encoding: chunked"])}2\r\nabc\r\n`,
    expect: { error: "ProtocolError" },
  },
  {
    name: "invalid chunk extension",
    wire: `${head(["HTTP/1.1 200 OK", "Transfer-Encoding: chunked"])}2;=bad\r\nab\r\n0\r\n\r\n`,
    expect: { error: "ProtocolError" },
  },
  {
    name: "chunk size too large",
    wire: `${head(["HTTP/1.1 200 OK", "Transfer-Encoding: chunked"])}fffffffffffffffff\r\n`,
    expect: { error: "ProtocolError" },
  },
  {
    name: "body cut short",
    wire: `${head(["HTTP/1.1 200 OK", "Content-Length: 10"])}abc`,
    eof: true,
    expect: { error: "IncompleteRead", detail: { received: 3, expected: 10 } },
  },
  {
    name: "chunked body cut short",
    wire: `${head(["HTTP/1.1 200 OK", "Transfer-Encoding: chunked"])}5\r\nhel`,
    eof: true,
    expect: { error: "IncompleteRead", detail: { received: 3, expected: undefined } },
  },
  {
    name: "closed in the middle of the head",
    wire: "HTTP/1.1 200 OK\r\nContent-Le",
    eof: true,
    expect: { error: "ProtocolError" },
  },
  {
    // No final response came: httplib's RemoteDisconnected, as for a close before any byte.
    name: "closed after a 1xx response",
    wire: head(["HTTP/1.1 100 Continue"]),
    eof: true,
    expect: { error: "BadStatusLine", detail: { line: "" } },
  },
  {
    name: "five 1xx responses then the final one",
    wire:
      head(["HTTP/1.1 100 Continue"]).repeat(4) +
      head(["HTTP/1.1 103 Early Hints"]) +
      head(["HTTP/1.1 204 No Content"]),
    expect: { status: 204, body: "", informational: [100, 100, 100, 100, 103] },
  },
  {
    name: "a sixth 1xx response",
    wire: head(["HTTP/1.1 100 Continue"]).repeat(6),
    expect: { error: "ProtocolError" },
  },
  {
    // RFC 9110 §15: only 1xx is interim; llhttp frames what follows `001` as a body, so it must not start a response.
    name: "a status code below 100",
    wire: head(["HTTP/1.1 001 Odd"]) + head(["HTTP/1.1 200 OK", "Content-Length: 0"]),
    expect: { error: "BadStatusLine", detail: { line: "HTTP/1.1 001 Odd" } },
  },
  {
    name: "status code 000",
    wire: head(["HTTP/1.1 000", "Content-Length: 0"]),
    expect: { error: "BadStatusLine", detail: { line: "HTTP/1.1 000" } },
  },
  {
    name: "obs-fold inside Transfer-Encoding",
    wire: `${head(["HTTP/1.1 200 OK", "Transfer-Encoding:", " chunked"])}0\r\n\r\n`,
    expect: { error: "ProtocolError" },
  },
  {
    name: "obs-fold inside Content-Length",
    wire: `${head(["HTTP/1.1 200 OK", "content-length: 5", "\t"])}hello`,
    expect: { error: "ProtocolError" },
  },
  {
    name: "101 Switching Protocols not asked for",
    wire: head(["HTTP/1.1 101 Switching Protocols", "Upgrade: websocket"]),
    expect: { error: "ProtocolError" },
  },
]
