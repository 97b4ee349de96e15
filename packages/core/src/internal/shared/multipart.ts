/**
 * `multipart/form-data` framing (RFC 7578) over streams, and the resolution of file bodies: a File or
 * Multipart body becomes a Stream body with its length when every part's length is known.
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as Body from "../../Body.js"
import { Files, type Service as FilesService } from "../../Files.js"
import * as Headers from "../../Headers.js"

const utf8 = new TextEncoder()

/** WHATWG's escaping of field names and file names in Content-Disposition. */
const quote = (s: string): string => s.replace(/"/g, "%22").replace(/\r/g, "%0D").replace(/\n/g, "%0A")

/** Control characters other than CR and LF (which `quote` escapes) and tab: never written in a part's head. */
const control = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/

/**
 * Why a part's head cannot be written as given, if so: a name or file name with a control character, or a
 * content type that is not a valid field value (a CR LF there would add part headers of its own).
 */
const invalidPart = (name: string, filename: string | undefined, type: string | undefined): string | undefined => {
  if (control.test(name)) return `multipart field name ${JSON.stringify(name)} contains a control character`
  if (filename !== undefined && control.test(filename)) {
    return `multipart file name ${JSON.stringify(filename)} contains a control character`
  }
  const reason = type === undefined ? undefined : Headers.invalidValueReason(type)
  return reason === undefined ? undefined : `multipart Content-Type of ${JSON.stringify(name)}: ${reason}`
}

const boundaryOf = (): string => {
  const bytes = crypto.getRandomValues(new Uint8Array(12))
  return `----courier${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`
}

interface Piece {
  readonly stream: Stream.Stream<Uint8Array, unknown>
  readonly length: number | undefined
  readonly replayable: boolean
}

const bytesPiece = (b: Uint8Array): Piece => ({ stream: Stream.succeed(b), length: b.length, replayable: true })

const withFiles = <A>(f: (files: FilesService) => Effect.Effect<A, string>): Effect.Effect<A, string> =>
  Effect.flatMap(Effect.serviceOption(Files), (files) =>
    Option.isNone(files)
      ? Effect.fail("file bodies need the Files service (NodeTransport.client provides it)")
      : f(files.value),
  )

const contentOf = (part: Body.FilePart): Effect.Effect<Piece, string> => {
  if ("content" in part)
    return Effect.succeed(bytesPiece(typeof part.content === "string" ? utf8.encode(part.content) : part.content))
  if ("stream" in part) return Effect.succeed({ stream: part.stream, length: part.length, replayable: false })
  if ("file" in part) return Effect.succeed({ stream: part.file.stream, length: part.file.size, replayable: true })
  return withFiles((files) =>
    Effect.map(files.open(part.path), (f) => ({ stream: f.stream, length: f.size, replayable: true })),
  )
}

const basename = (path: string): string => path.split(/[\\/]/).pop() ?? path

/** Turns File and Multipart bodies into Stream bodies; other bodies are returned as they are. */
export const resolve = (body: Body.Body): Effect.Effect<Body.Body, string> => {
  if (body._tag === "File") {
    return withFiles((files) =>
      Effect.map(files.open(body.path), (f) =>
        Body.stream(f.stream, { contentType: body.contentType, length: f.size, replayable: true }),
      ),
    )
  }
  if (body._tag !== "Multipart") return Effect.succeed(body)
  const boundary = boundaryOf()
  const pieces: Array<Effect.Effect<Piece, string>> = []
  for (const [name, value] of body.fields) {
    const invalid = invalidPart(name, undefined, undefined)
    if (invalid !== undefined) return Effect.fail(invalid)
    pieces.push(
      Effect.succeed(
        bytesPiece(
          utf8.encode(`--${boundary}\r\nContent-Disposition: form-data; name="${quote(name)}"\r\n\r\n${value}\r\n`),
        ),
      ),
    )
  }
  for (const [name, part] of body.files) {
    const filename = part.filename ?? ("path" in part ? basename(part.path) : name)
    const type = part.contentType ?? "application/octet-stream"
    const invalid = invalidPart(name, filename, type)
    if (invalid !== undefined) return Effect.fail(invalid)
    const head = `--${boundary}\r\nContent-Disposition: form-data; name="${quote(name)}"; filename="${quote(filename)}"\r\nContent-Type: ${type}\r\n\r\n`
    pieces.push(
      Effect.succeed(bytesPiece(utf8.encode(head))),
      contentOf(part),
      Effect.succeed(bytesPiece(utf8.encode("\r\n"))),
    )
  }
  pieces.push(Effect.succeed(bytesPiece(utf8.encode(`--${boundary}--\r\n`))))
  return Effect.map(Effect.all(pieces), (all) => {
    const length = all.reduce<number | undefined>(
      (n, p) => (n === undefined || p.length === undefined ? undefined : n + p.length),
      0,
    )
    const stream = all.reduce<Stream.Stream<Uint8Array, unknown>>(
      (acc, p) => Stream.concat(acc, p.stream),
      Stream.empty,
    )
    return Body.stream(stream, {
      contentType: `multipart/form-data; boundary=${boundary}`,
      replayable: all.every((p) => p.replayable),
      ...(length === undefined ? {} : { length }),
    })
  })
}
