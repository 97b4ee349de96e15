/**
 * A request's body read for a signer without using it up: the bytes (or a digest of them) before the
 * request is sent, and a request whose body can still be sent, and sent again. File and multipart bodies
 * are opened first (with the Files service when the context has it), as the Client opens them.
 * @internal
 */
import { md5 } from "@noble/hashes/legacy"
import { sha256, sha512 } from "@noble/hashes/sha2"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as Body from "../../Body.js"
import { EncodeError } from "../../HttpError.js"
import type { Request } from "../../Request.js"
import { collectBounded } from "./collect.js"
import { Result } from "./edition.js"
import { resolve } from "./multipart.js"
import { copy, info } from "./request.js"

/** The most bytes `readBody` holds by default: 8 MiB. */
export const MAX_READ_BYTES = 8 * 1024 * 1024

/** The digests `digestBody` computes: SHA-256 and SHA-512 (RFC 9530's `Content-Digest`), and MD5 (S3's `Content-MD5`). */
export type DigestAlgorithm = "SHA-256" | "SHA-512" | "MD5"

const hashes = { "SHA-256": sha256, "SHA-512": sha512, MD5: md5 } as const

const failure = (request: Request, reason: string) => new EncodeError({ request: info(request), reason })

/** The request's body as it will be encoded: file and multipart bodies opened as streams. */
const encoded = (request: Request) =>
  Effect.flatMap(
    Effect.mapError(resolve(request.body), (reason) => failure(request, reason)),
    (body) =>
      Result.match(Body.encode(body), {
        onFailure: (e) => Effect.fail(failure(request, e.reason)),
        onSuccess: (e) => Effect.succeed({ body, encoded: e }),
      }),
  )

const streamFailure = (request: Request) => (e: unknown) =>
  failure(request, `the body stream failed: ${e instanceof Error ? e.message : String(e)}`)

/** Reads a stream into memory, failing as soon as it passes `maxBytes`: at most that much is ever held. */
const collect = (request: Request, stream: Stream.Stream<Uint8Array, unknown>, maxBytes: number) =>
  collectBounded(Stream.mapError(stream, streamFailure(request)), maxBytes, () =>
    failure(request, `the body is larger than ${maxBytes} bytes, the most it may be read into memory to be read twice`),
  )

/**
 * The body's bytes, and the request with a body that can be sent (and sent again): a body in memory is
 * kept as it is; a stream is read (up to `maxBytes`, else `EncodeError`) and replaced by its bytes.
 */
export const readBody = (
  request: Request,
  maxBytes: number = MAX_READ_BYTES,
): Effect.Effect<{ readonly bytes: Uint8Array; readonly request: Request }, EncodeError> =>
  Effect.flatMap(encoded(request), ({ encoded: e }) => {
    if (e._tag === "Fixed") return Effect.succeed({ bytes: e.bytes, request })
    return Effect.map(collect(request, e.stream, maxBytes), (bytes) => ({
      bytes,
      request: copy(request, { body: Body.bytes(bytes, e.contentType ?? "application/octet-stream") }),
    }))
  })

/**
 * A digest of the body, and the request with a body that can still be sent. A body that can be read again
 * (in memory, a file, a replayable stream) is hashed as it streams, holding none of it, and sent as it is;
 * a stream that runs once is read into memory first, up to `maxBytes`, as `readBody` does.
 */
export const digestBody = (
  request: Request,
  algorithm: DigestAlgorithm,
  maxBytes: number = MAX_READ_BYTES,
): Effect.Effect<{ readonly digest: Uint8Array; readonly request: Request }, EncodeError> =>
  Effect.flatMap(encoded(request), ({ body, encoded: e }) => {
    const hash = hashes[algorithm]
    if (e._tag === "Fixed") return Effect.succeed({ digest: hash(e.bytes), request })
    if (body._tag === "Stream" && body.replayable) {
      return Effect.map(
        Effect.mapError(
          Effect.suspend(() => {
            const h = hash.create()
            return Effect.as(
              Stream.runForEach(e.stream, (chunk) => Effect.sync(() => h.update(chunk))),
              h,
            )
          }),
          streamFailure(request),
        ),
        (h) => ({ digest: h.digest(), request: body === request.body ? request : copy(request, { body }) }),
      )
    }
    return Effect.map(readBody(request, maxBytes), (read) => ({ digest: hash(read.bytes), request: read.request }))
  })
