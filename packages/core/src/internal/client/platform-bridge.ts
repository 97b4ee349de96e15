/**
 * What the interop with an Effect HTTP library (`@effect/platform` on Effect 3, `effect/http` on Effect 4)
 * needs whichever library it is: its request bodies as Courier bodies, a Courier response as a web Response,
 * header records, reason phrases and transport codes. `Platform.ts` (and its Effect 4 spelling) hold only
 * the glue to the library's own types (issue 24: each rule written once).
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as Body from "../../Body.js"
import type * as Client from "../../Client.js"
import { EncodeError, HTTPConnectionError, type HttpError, IOError, isHttpError } from "../../HttpError.js"
import * as Request from "../../Request.js"
import * as Response from "../../Response.js"
import type { Service as TransportService } from "../../Transport.js"
import type { Url } from "../../Url.js"
import { Result } from "../shared/edition.js"
import { inScope, toPull } from "../shared/edition-effect.js"

/** The bodies both libraries' requests carry, by the tags they share. */
export type PlatformBody =
  | { readonly _tag: "Empty" }
  | { readonly _tag: "Uint8Array"; readonly body: Uint8Array; readonly contentType: string }
  | { readonly _tag: "Raw"; readonly body: unknown; readonly contentType?: string | undefined }
  | {
      readonly _tag: "Stream"
      readonly stream: Stream.Stream<Uint8Array, unknown>
      readonly contentType: string
      readonly contentLength?: number | undefined
    }
  | { readonly _tag: "FormData"; readonly formData: FormData }

/** The statuses whose responses have no body. */
const nullBody = new Set([101, 204, 205, 304])

/**
 * A raw body as a Courier body: text, bytes (any typed array or `ArrayBuffer`), a `Blob`, a web
 * `ReadableStream` or any async iterable of bytes (a Node `Readable`); anything else is refused with its
 * reason rather than sent empty.
 */
const rawBody = (raw: unknown, contentType: string | undefined): Result<Body.Body, string> => {
  const type = contentType ?? "application/octet-stream"
  if (typeof raw === "string") return Result.succeed(Body.text(raw, contentType ?? "text/plain"))
  if (raw instanceof Uint8Array) return Result.succeed(Body.bytes(raw, type))
  if (raw instanceof ArrayBuffer) return Result.succeed(Body.bytes(new Uint8Array(raw), type))
  if (ArrayBuffer.isView(raw))
    return Result.succeed(Body.bytes(new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength), type))
  if (raw instanceof Blob) {
    const stream = Stream.fromReadableStream({ evaluate: () => raw.stream(), onError: (e) => e })
    return Result.succeed(Body.stream(stream, { contentType: contentType ?? (raw.type || type), length: raw.size }))
  }
  if (raw instanceof ReadableStream) {
    const stream = Stream.fromReadableStream({ evaluate: () => raw as ReadableStream<Uint8Array>, onError: (e) => e })
    return Result.succeed(Body.stream(stream, { contentType: type }))
  }
  if (typeof raw === "object" && raw !== null && Symbol.asyncIterator in raw) {
    // A Node Readable (fs.createReadStream, say) or any async iterable of byte chunks.
    const stream = Stream.fromAsyncIterable(raw as AsyncIterable<Uint8Array>, (e) => e)
    return Result.succeed(Body.stream(stream, { contentType: type }))
  }
  return Result.fail(`a raw body of type ${raw === null ? "null" : typeof raw} cannot be sent`)
}

/** A request body as a Courier body, or why it cannot be sent. */
const bodyOf = (body: PlatformBody): Result<Body.Body, string> => {
  switch (body._tag) {
    case "Empty":
      return Result.succeed(Body.empty)
    case "Uint8Array":
      return Result.succeed(Body.bytes(body.body, body.contentType))
    case "Raw":
      return rawBody(body.body, body.contentType)
    case "Stream":
      return Result.succeed(
        Body.stream(body.stream, {
          contentType: body.contentType,
          ...(body.contentLength === undefined ? {} : { length: body.contentLength }),
        }),
      )
    case "FormData": {
      // The platform's own encoder frames the form; its stream becomes the body.
      const encoded = new globalThis.Response(body.formData)
      const type = encoded.headers.get("content-type") ?? "multipart/form-data"
      const stream =
        encoded.body === null
          ? Stream.empty
          : Stream.fromReadableStream({ evaluate: () => encoded.body as ReadableStream<Uint8Array>, onError: (e) => e })
      return Result.succeed(Body.stream(stream, { contentType: type }))
    }
  }
}

/** A Courier body stream as a web ReadableStream that calls `done` when it ends, fails or is cancelled. */
const readable = (stream: Stream.Stream<Uint8Array, HttpError>, done: () => void): ReadableStream<Uint8Array> => {
  let pull: ((controller: ReadableStreamDefaultController<Uint8Array>) => Promise<void>) | undefined
  const scope = Effect.runSync(Scope.make())
  const finish = () => {
    Effect.runFork(Scope.close(scope, Exit.void))
    done()
  }
  return new ReadableStream<Uint8Array>({
    start() {
      const next = Effect.runSync(inScope(toPull(stream), scope))
      pull = (controller) =>
        Effect.runPromise(
          Effect.match(next, {
            onFailure: (error) => {
              controller.error(error)
              finish()
            },
            onSuccess: (chunks) => {
              if (chunks === undefined) {
                controller.close()
                finish()
              } else for (const c of chunks) controller.enqueue(c)
            },
          }),
        )
    },
    pull: (controller) => pull?.(controller),
    cancel: finish,
  })
}

/**
 * A Courier response's head and body as a web Response, for any status a server may send. The web type
 * takes 200–599 only, and a server may send anything from 100 to 999 (RFC 9110 §15; the platform's node
 * client returns such a response): outside that range the web Response is made as a 200 and the status the
 * server sent is set on it, with `ok` to match, so the library's response reports it and nothing throws.
 */
const webResponse = (
  head: {
    readonly status: number
    readonly reason: string
    readonly headers: { readonly entries: ReadonlyArray<readonly [string, string]> }
  },
  body: ReadableStream<Uint8Array> | null,
): globalThis.Response => {
  const headers = new globalThis.Headers()
  for (const [k, v] of head.headers.entries) headers.append(k, v)
  const { status, reason } = head
  if (status >= 200 && status <= 599) return new globalThis.Response(body, { status, statusText: reason, headers })
  const web = new globalThis.Response(body, { status: 200, statusText: reason, headers })
  Object.defineProperty(web, "status", { value: status })
  Object.defineProperty(web, "ok", { value: false })
  return web
}

/**
 * The reason phrase a library's response carries on its source (a web Response's `statusText`, a node
 * IncomingMessage's `statusMessage`), looking through the wrappers its HttpClient puts around it
 * (`original`); "" when it has none.
 */
const reasonOf = (response: unknown): string => {
  interface Wrapped {
    readonly original?: unknown
    readonly source?: { readonly statusText?: unknown; readonly statusMessage?: unknown }
  }
  let current: Wrapped | undefined = typeof response === "object" && response !== null ? response : undefined
  for (let depth = 0; depth < 4 && current !== undefined; depth++) {
    const phrase = current.source?.statusText ?? current.source?.statusMessage
    if (typeof phrase === "string") return phrase
    current = typeof current.original === "object" && current.original !== null ? current.original : undefined
  }
  return ""
}

/**
 * Header fields as one record, for a client whose headers are a record: a repeated field's values are
 * combined into one line (RFC 9110 §5.3; `Cookie` with "; ", RFC 6265 §5.4) instead of the last one winning.
 */
const combined = (entries: ReadonlyArray<readonly [string, string]>): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [name, value] of entries) {
    const key = name.toLowerCase()
    const before = out[key]
    out[key] = before === undefined ? value : `${before}${key === "cookie" ? "; " : ", "}${value}`
  }
  return out
}

/** The codes of a transport failure that mean the connection was never made. */
const connectCodes =
  /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|UND_ERR_CONNECT_TIMEOUT|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|ERR_TLS_)/

/** The first `code` along a cause chain, if any. */
const codeOf = (e: unknown): string | undefined => {
  let current: unknown = e
  for (let i = 0; i < 5 && typeof current === "object" && current !== null; i++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === "string") return code
    current = (current as { cause?: unknown }).cause
  }
  return undefined
}

/** The message of a cause, one level down when it wraps another Error. */
const messageOf = (cause: unknown, fallback: string): string =>
  cause instanceof Error ? (cause.cause instanceof Error ? cause.cause.message : cause.message) : fallback

/** A library's request, as far as sending it over Courier goes. */
export interface LibraryRequest {
  readonly method: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: PlatformBody
}

/**
 * Sends a library's request over a Courier client and answers with a web Response whose body streams from
 * Courier's; the response's scope closes when its body ends or is cancelled, or when `signal` aborts. Fails
 * with the reason a body cannot be sent (a string), or with Courier's error.
 */
export const sendOver = (
  courier: Client.Service,
  request: LibraryRequest,
  href: string,
  signal: AbortSignal,
): Effect.Effect<globalThis.Response, string | HttpError> =>
  Effect.gen(function* () {
    const body = bodyOf(request.body)
    if (Result.isFailure(body)) return yield* Effect.fail(Result.failure(body))
    const scope = yield* Scope.make()
    const close = () => {
      Effect.runFork(Scope.close(scope, Exit.void))
    }
    signal.addEventListener("abort", close, { once: true })
    const outgoing = Request.make(request.method, href, {
      headers: Object.entries(request.headers),
      body: Result.success(body),
    })
    const response = yield* inScope(courier.execute(outgoing), scope).pipe(Effect.onError(() => Effect.sync(close)))
    const stream =
      nullBody.has(response.status) || request.method === "HEAD" ? null : readable(Response.stream(response), close)
    if (stream === null) close()
    return webResponse(response, stream)
  })

/** How a library builds its requests: from method, URL and headers, then with a body of bytes or a stream. */
export interface RequestBuilder<R> {
  readonly make: (method: string, href: string, headers: Record<string, string>) => R
  readonly bytes: (request: R, bytes: Uint8Array, contentType: string) => R
  readonly stream: (
    request: R,
    stream: Stream.Stream<Uint8Array, unknown>,
    contentType: string,
    length: number | undefined,
  ) => R
}

/** What a library's request module offers that a RequestBuilder needs (both majors' HttpClientRequest). */
export interface RequestModule<R> {
  readonly make: (method: "GET") => (url: string) => R
  readonly setHeaders: (headers: Record<string, string>) => (self: R) => R
  readonly bodyUint8Array: (self: R, body: Uint8Array, contentType: string) => R
  readonly bodyStream: (
    self: R,
    body: Stream.Stream<Uint8Array>,
    options: { readonly contentType: string; readonly contentLength?: number },
  ) => R
}

/** The RequestBuilder of a library's request module. */
export const builderOf = <R>(m: RequestModule<R>): RequestBuilder<R> => ({
  // The method is any the library takes; its type names only the ones it knows, so the cast.
  make: (method, href, headers) => m.setHeaders(headers)(m.make(method as "GET")(href)),
  bytes: (request, bytes, contentType) => m.bodyUint8Array(request, bytes, contentType),
  stream: (request, stream, contentType, length) =>
    m.bodyStream(
      request,
      Stream.orDie(stream),
      length === undefined ? { contentType } : { contentType, contentLength: length },
    ),
})

/** A Courier request as a library's request (headers as one record), or the encoding's error. */
const outgoingOf = <R>(builder: RequestBuilder<R>, request: Request.Request, href: string): Result<R, EncodeError> => {
  const encoded = Body.encode(request.body)
  // A body that cannot be encoded is the caller's typed error, never an empty request.
  if (Result.isFailure(encoded))
    return Result.fail(new EncodeError({ request: Request.info(request), reason: Result.failure(encoded).reason }))
  const e = Result.success(encoded)
  const made = builder.make(request.method, href, combined(request.headers.entries))
  if (e._tag === "Fixed" && e.bytes.length > 0)
    return Result.succeed(builder.bytes(made, e.bytes, e.contentType ?? "application/octet-stream"))
  if (e._tag === "Streamed") return Result.succeed(builder.stream(made, e.stream, e.contentType, e.length))
  return Result.succeed(made)
}

/** A library's response, as far as a Courier response goes. */
export interface LibraryResponse<E> {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly stream: Stream.Stream<Uint8Array, E>
}

/**
 * A Courier Transport over a library's client: requests built with `builder`, sent with `execute`, its
 * failures made Courier's with `toError`; with `decodes` (the library decodes compressed bodies itself, as
 * fetch does) `Content-Encoding` and the length are dropped so the body is not decoded twice.
 */
export const transportOver = <R, E>(
  builder: RequestBuilder<R>,
  execute: (request: R) => Effect.Effect<LibraryResponse<E>, E>,
  toError: (e: E, request: Request.Request, url: Url) => HttpError,
  decodes: boolean,
): TransportService => {
  const send = (request: Request.Request, url: Url): Effect.Effect<Response.Response, HttpError> => {
    const outgoing = outgoingOf(builder, request, url.href)
    if (Result.isFailure(outgoing)) return Effect.fail(Result.failure(outgoing))
    const mapped = (e: E) => toError(e, request, url)
    return Effect.map(Effect.mapError(execute(Result.success(outgoing)), mapped), (response) =>
      incomingOf(request, response, decodes, mapped),
    )
  }
  return { send, fetch: (request, url) => Effect.flatMap(send(request, url), Response.buffered) }
}

/**
 * A library's failure as Courier's typed error: its own cause when that is one; a connection error when it
 * failed before a response (`requestPhase`) with a code that says the connection was never made; an
 * IOError otherwise.
 */
export const fromLibraryError = (
  cause: unknown,
  message: string,
  requestPhase: boolean,
  info: HttpError["request"],
  origin: Url["origin"],
): HttpError => {
  if (isHttpError(cause)) return cause
  const code = codeOf(cause) ?? "EIO"
  const reason = messageOf(cause, message)
  return requestPhase && connectCodes.test(code)
    ? new HTTPConnectionError({ request: info, host: origin.host, port: origin.port, code, reason })
    : new IOError({ request: info, code, reason })
}

/**
 * A library's response as a Courier response. A client that decodes compressed bodies itself (fetch) keeps
 * `Content-Encoding`; with `decodes` that header and the length are dropped so the body is not decoded twice.
 */
const incomingOf = <E>(
  request: Request.Request,
  response: LibraryResponse<E>,
  decodes: boolean,
  toError: (e: E) => HttpError,
): Response.Response => {
  const headers: Array<readonly [string, string]> = []
  for (const [k, v] of Object.entries(response.headers)) {
    if (decodes && k === "content-encoding") continue
    headers.push([k, v])
  }
  const length = response.headers["content-length"]
  const decoded = decodes && response.headers["content-encoding"] !== undefined
  return Response.make({
    request: Request.info(request),
    status: response.status,
    reason: reasonOf(response),
    headers,
    contentLength: length === undefined || decoded ? undefined : Number(length),
    body: { stream: Stream.mapError(response.stream, toError) },
  })
}
