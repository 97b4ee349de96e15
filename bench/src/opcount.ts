/**
 * `pnpm --filter @courier/bench ops`: Effect runtime operations per Courier request, on each edition
 * (`opcount-effect4.ts` runs this file on the Effect 4 edition), counted as `op-count.ts` says, against a
 * node:http server in this process. The request benchmarks spend a large share of their time in the Effect
 * runtime, so this count is the first thing to check when a change to the request path may have made it
 * heavier. It counts GETs and 1 KiB POSTs, one at a time and
 * 64 in flight over 16 connections, with the standard Client; and GETs one at a time with a bare Client (no
 * transforms) and with the standard one plus three user steps, for what composition costs.
 */
import * as http from "node:http"
import type * as net from "node:net"
import { Body, Client, Request } from "@courier/core"
import { NodeTransport } from "@courier/node-transport"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { countingOps, EDITION } from "../../packages/core/test/op-count.js"

const REQUESTS = 2000

/** Runs `requests` once to warm up, then again counted; prints the operations per request. */
const report = async (
  runtime: ManagedRuntime.ManagedRuntime<Client.Client, never>,
  label: string,
  requests: Effect.Effect<void, unknown, Client.Client>,
) => {
  await runtime.runPromise(requests)
  const [, ops] = await runtime.runPromise(countingOps(requests))
  process.stdout.write(`${EDITION}, ${label}: ${(ops / REQUESTS).toFixed(1)} ops/request\n`)
}

const main = async () => {
  const server = http.createServer((req, res) => {
    req.resume()
    req.on("end", () => res.end("hello world"))
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`
  const runtime = ManagedRuntime.make(NodeTransport.client({ maxConnectionsPerOrigin: 16 }))
  const get = Request.get(`${base}/get`)
  const post = () => Request.post(`${base}/post`, { body: Body.bytes(new Uint8Array(1024), "application/json") })
  const many = (request: () => Request.Request, inFlight: number) =>
    Effect.forEach(Array.from({ length: REQUESTS }), () => Client.fetch(request()), {
      concurrency: inFlight,
      discard: true,
    })
  await report(
    runtime,
    "GET, one at a time",
    many(() => get, 1),
  )
  await report(
    runtime,
    "GET, 64 in flight",
    many(() => get, 64),
  )
  await report(runtime, "POST 1 KiB, one at a time", many(post, 1))
  await report(runtime, "POST 1 KiB, 64 in flight", many(post, 64))
  await runtime.dispose()
  const shapes: ReadonlyArray<readonly [string, Layer.Layer<Client.Client>]> = [
    ["bare Client", Layer.effect(Client.Client, Client.makeBare).pipe(Layer.provide(NodeTransport.layer()))],
    [
      "standard Client + 3 user steps",
      Client.layerTransform((client) =>
        client.pipe(
          Client.tapRequest(() => Effect.void),
          Client.middleware((request, next) => next(request)),
          Client.mapResponse((response) => response),
        ),
      ).pipe(Layer.provide(NodeTransport.client())),
    ],
  ]
  for (const [label, layer] of shapes) {
    const other = ManagedRuntime.make(layer)
    await report(
      other,
      `GET, one at a time, ${label}`,
      many(() => get, 1),
    )
    await other.dispose()
  }
  server.close()
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`)
  process.exit(1)
})
