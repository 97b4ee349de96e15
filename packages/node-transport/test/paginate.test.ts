// Pagination as a Stream over a real server on 127.0.0.1: pages follow RFC 8288 `Link: rel="next"` (relative
// targets too), are fetched only as the consumer pulls, stop at maxPages or at a refused item, and a
// cursor in the body works through a `next` of one's own.
import { Client, Request, Response } from "@courier/core"
import { NodeTransport } from "@courier/node-transport"
import { describe, expect } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { scoped } from "../../core/test/edition.js"
import { httpServer } from "./servers.js"

/** Five pages of two numbers each; counts the pages asked for. */
const pages = Effect.gen(function* () {
  const asked: Array<string> = []
  const server = yield* httpServer((req, res) => {
    asked.push(req.url ?? "")
    const url = new URL(req.url ?? "/", "http://x")
    if (url.pathname === "/cursor") {
      const after = Number(url.searchParams.get("after") ?? 0)
      const data = [after + 1, after + 2]
      return res.end(JSON.stringify({ data, next: after + 2 < 6 ? String(after + 2) : null }))
    }
    const page = Number(url.searchParams.get("page") ?? 1)
    const links = [
      `<https://elsewhere.test/>; rel="prev"`,
      ...(page < 5 ? [`</items?page=${page + 1}>; rel="next"`] : []),
    ]
    res.writeHead(200, { "Content-Type": "application/json", Link: links.join(", ") })
    res.end(JSON.stringify([page * 2 - 1, page * 2]))
  })
  return { url: server.url, asked }
})

const collect = <A, E, R>(stream: Stream.Stream<A, E, R>) => Effect.map(Stream.runCollect(stream), (c) => Array.from(c))

describe("Client.paginate", () => {
  scoped("follows Link rel=next page by page, and fetches a page only when the consumer pulls past the last", () =>
    Effect.gen(function* () {
      const api = yield* pages
      const all = yield* collect(Client.paginate<number>(Request.get(`${api.url}/items?page=1`)))
      expect(all).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
      expect(api.asked).toEqual(["/items?page=1", "/items?page=2", "/items?page=3", "/items?page=4", "/items?page=5"])
      api.asked.length = 0
      const three = yield* collect(Client.paginate<number>(Request.get(`${api.url}/items`)).pipe(Stream.take(3)))
      expect([three, api.asked]).toEqual([
        [1, 2, 3],
        ["/items", "/items?page=2"],
      ])
    }).pipe(Effect.provide(NodeTransport.client())),
  )

  scoped("maxPages bounds the pages; shouldContinue ends the stream at the first item it refuses", () =>
    Effect.gen(function* () {
      const api = yield* pages
      const two = yield* collect(Client.paginate<number>(Request.get(`${api.url}/items`), { maxPages: 2 }))
      expect(two).toEqual([1, 2, 3, 4])
      api.asked.length = 0
      const small = yield* collect(
        Client.paginate<number>(Request.get(`${api.url}/items`), { shouldContinue: (n) => n < 6 }),
      )
      expect([small, api.asked.length]).toEqual([[1, 2, 3, 4, 5], 3])
    }).pipe(Effect.provide(NodeTransport.client())),
  )

  scoped("a cursor in the body: items and next of one's own, next reading the page as an Effect", () =>
    Effect.gen(function* () {
      const api = yield* pages
      interface Page {
        readonly data: ReadonlyArray<number>
        readonly next: string | null
      }
      const body = (r: Response.Response) => Effect.map(Response.json(r), (b) => b as Page)
      const all = yield* collect(
        Client.paginate<number>(Request.get(`${api.url}/cursor`), {
          items: (r) => Effect.map(body(r), (p) => p.data),
          next: ({ response, request }) =>
            Effect.map(body(response), (p) =>
              p.next === null ? undefined : Request.setUrl(request, `${api.url}/cursor?after=${p.next}`),
            ),
        }),
      )
      expect(all).toEqual([1, 2, 3, 4, 5, 6])
      // A page that is not an array, with no items function, is a typed error.
      const error = yield* Effect.flip(collect(Client.paginate(Request.get(`${api.url}/cursor`))))
      expect(error).toMatchObject({ _tag: "DecodeError" })
    }).pipe(Effect.provide(NodeTransport.client())),
  )
})
