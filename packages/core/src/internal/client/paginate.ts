/**
 * Pagination as a Stream (got's `paginate` is the anchor): each page fetched when the consumer pulls past
 * the previous page's items, the next page found in the `Link` field (RFC 8288, `rel="next"`) or by the
 * caller's function, at most `maxPages` pages, and a stop condition that ends the stream at an item.
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import type { PaginateOptions, With } from "../../Client.js"
import * as Headers from "../../Headers.js"
import { DecodeError, type HttpError } from "../../HttpError.js"
import * as Request from "../../Request.js"
import * as Response from "../../Response.js"
import * as Url from "../../Url.js"
import { parseLinks } from "../http1/grammar.js"
import { Result } from "../shared/edition.js"
import { fromPull } from "../shared/edition-effect.js"
import { copy } from "../shared/request.js"

/** The default page limit, got's `requestLimit`: a `next` link that loops ends here. */
export const MAX_PAGES = 10_000

/** The items of a page whose JSON body is an array of them. */
const jsonItems = <A>(response: Response.Response): Effect.Effect<ReadonlyArray<A>, HttpError> =>
  Effect.flatMap(Response.json(response), (body) =>
    Array.isArray(body)
      ? Effect.succeed(body as ReadonlyArray<A>)
      : Effect.fail(
          new DecodeError({
            request: response.request,
            expected: "a JSON array of items (give `items` for pages of another shape)",
            reason: `the body is ${body === null ? "null" : typeof body}`,
            preview: JSON.stringify(body)?.slice(0, 200) ?? "",
          }),
        ),
  )

/** The request for the `Link` field's `rel="next"` target, resolved against the URL the page came from. */
export const nextLink = (response: Response.Response, request: Request.Request, baseUrl?: string) => {
  const links = Headers.getAll(response.headers, "link").flatMap(parseLinks)
  const next = links.find((l) => (l.params.get("rel") ?? "").toLowerCase().split(/\s+/).includes("next"))
  if (next === undefined) return undefined
  const from = Request.urlAsSent(request, { baseUrl })
  const target = Result.flatMap(from, (href) => Url.join(href, next.target))
  return Result.isSuccess(target) ? copy(request, { url: Result.success(target), params: [] }) : undefined
}

/** The pages of `request` on `client`, item by item (see `Client.paginate`). */
export const paginate = <E, R, A, E2, R2>(
  client: With<E, R>,
  request: Request.Request,
  options: PaginateOptions<A, E2, R2> = {},
): Stream.Stream<A, E | E2 | HttpError, R | R2> => {
  const items: (r: Response.Response) => Effect.Effect<ReadonlyArray<A>, E2 | HttpError, R2> =
    options.items ?? ((r) => jsonItems<A>(r))
  const maxPages = options.maxPages ?? MAX_PAGES
  const nextOf =
    options.next ??
    (({ response, request }: { readonly response: Response.Response; readonly request: Request.Request }) =>
      nextLink(response, request, client.options.baseUrl))
  const pages = Stream.suspend(() => {
    // Where this run of the stream is: the next page's request, if there is one, and the pages fetched.
    let pending: Request.Request | undefined = request
    let fetched = 0
    return fromPull(
      Effect.suspend((): Effect.Effect<ReadonlyArray<A> | undefined, E | E2 | HttpError, R | R2> => {
        const current = pending
        if (current === undefined || fetched >= maxPages) return Effect.succeed(undefined)
        return Effect.flatMap(client.fetch(current), (response) =>
          Effect.flatMap(items(response), (found) => {
            const next = nextOf({ response, request: current, items: found })
            return Effect.map(Effect.isEffect(next) ? next : Effect.succeed(next), (following) => {
              pending = following ?? undefined
              fetched++
              return found
            })
          }),
        )
      }),
    )
  })
  const until = options.shouldContinue
  return until === undefined ? pages : Stream.takeWhile(pages, until)
}
