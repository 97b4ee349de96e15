/**
 * The clients whose numbers depend on the Effect runtime: Courier, called as fibers and with `runPromise` per
 * call, and undici.request wrapped in Effect (the floor under any Effect client) beside undici.request itself.
 * Written once for both Effect majors: `clients.ts` adds the Effect 3 edition's other peers, and
 * `clients.effect4.ts` is the list the Effect 4 edition's bench process runs (scripts/edition4/tree.ts).
 */
import * as fs from "node:fs"
import { Readable } from "node:stream"
import { Body, Client, Request, Response } from "@courier/core"
import { NodeTransport } from "@courier/node-transport"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Stream from "effect/Stream"
import { Pool } from "undici"

/** What one client does; every operation resolves with the body bytes moved. */
export interface Ops<F> {
  readonly get: (path: string) => F
  readonly post: (path: string, body: Uint8Array) => F
  readonly download: (path: string) => F
  readonly upload: (path: string, size: number) => F
  readonly close: () => Promise<void>
}

/** One operation of a workload, as the driver calls it. */
export type Op<F> = (ops: Ops<F>) => F

/**
 * Runs an operation `inFlight` at a time until a deadline, counting operations and bytes: kept in flight
 * (a new one as each ends), or in bursts (`inFlight` started together, the next burst once all ended).
 */
export interface Driver {
  readonly run: (
    op: <F>(ops: Ops<F>) => F,
    inFlight: number,
    until: number,
    burst?: boolean,
  ) => Promise<{ requests: number; bytes: number }>
  readonly close: () => Promise<void>
}

/** Promise clients: `inFlight` async loops. */
export const promiseDriver = (ops: Ops<Promise<number>>): Driver => ({
  run: async (op, inFlight, until, burst) => {
    let requests = 0
    let bytes = 0
    if (burst === true) {
      while (performance.now() < until) {
        const sizes = await Promise.all(Array.from({ length: inFlight }, () => op(ops)))
        for (const n of sizes) bytes += n
        requests += inFlight
      }
      return { requests, bytes }
    }
    const worker = async () => {
      while (performance.now() < until) {
        // Await first: "bytes += await …" would read bytes before the await and lose other workers' counts.
        const n = await op(ops)
        bytes += n
        requests++
      }
    }
    await Promise.all(Array.from({ length: inFlight }, worker))
    return { requests, bytes }
  },
  close: ops.close,
})

/** Effect clients: `inFlight` fibers of one runtime, as an Effect application runs them. */
export const fiberDriver = <R>(
  runtime: ManagedRuntime.ManagedRuntime<R, never>,
  ops: Ops<Effect.Effect<number, unknown, R>>,
): Driver => ({
  run: (op, inFlight, until, burst) => {
    let requests = 0
    let bytes = 0
    const bursts: Effect.Effect<void, unknown, R> = Effect.suspend(() =>
      performance.now() < until
        ? Effect.flatMap(
            Effect.all(
              Array.from({ length: inFlight }, () => op(ops)),
              { concurrency: "unbounded" },
            ),
            (sizes) => {
              for (const n of sizes) bytes += n
              requests += inFlight
              return bursts
            },
          )
        : Effect.void,
    )
    if (burst === true) return runtime.runPromise(Effect.map(bursts, () => ({ requests, bytes })))
    const loop: Effect.Effect<void, unknown, R> = Effect.suspend(() =>
      performance.now() < until
        ? Effect.flatMap(op(ops), (n) => {
            bytes += n
            requests++
            return loop
          })
        : Effect.void,
    )
    return runtime.runPromise(
      Effect.map(
        Effect.all(
          Array.from({ length: inFlight }, () => loop),
          { concurrency: "unbounded", discard: true },
        ),
        () => ({
          requests,
          bytes,
        }),
      ),
    )
  },
  close: ops.close,
})

/** Effect clients called the web-handler way: async loops, each call started with its own `runPromise`. */
export const perCallDriver = <R>(
  runtime: ManagedRuntime.ManagedRuntime<R, never>,
  ops: Ops<Effect.Effect<number, unknown, R>>,
): Driver =>
  promiseDriver({
    get: (path) => runtime.runPromise(ops.get(path)),
    post: (path, body) => runtime.runPromise(ops.post(path, body)),
    download: (path) => runtime.runPromise(ops.download(path)),
    upload: (path, size) => runtime.runPromise(ops.upload(path, size)),
    close: ops.close,
  })

export interface Shape {
  readonly connections: number
  readonly inFlight: number
  /** Requests per connection at once; only the clients that pipeline (Courier, undici) use it. */
  readonly pipelining: number
  /** HTTP/2 over TLS, trusting the CA at this path; only the clients that speak h2 (Courier, undici) use it. */
  readonly h2?: { readonly ca: string }
}

export const PIECE = 64 * 1024
const piece = Buffer.alloc(PIECE, 0x63)
export const pieces = function* (size: number) {
  for (let sent = 0; sent < size; sent += PIECE) yield sent + PIECE <= size ? piece : piece.subarray(0, size - sent)
}

export type PromiseClient = (base: string, shape: Shape) => Ops<Promise<number>>

export const drain = async (body: AsyncIterable<Uint8Array>): Promise<number> => {
  let n = 0
  for await (const chunk of body) n += chunk.length
  return n
}

export const undiciClient: PromiseClient = (base, shape) => {
  const pool = new Pool(base, {
    connections: shape.connections,
    // Over HTTP/2 undici multiplexes up to `pipelining` streams on a connection (its default, 1, would
    // carry one request at a time): as many as the workload keeps in flight.
    ...(shape.h2 === undefined
      ? { pipelining: shape.pipelining }
      : { pipelining: shape.inFlight, allowH2: true, connect: { ca: fs.readFileSync(shape.h2.ca) } }),
  })
  return {
    get: async (path) => (await (await pool.request({ path, method: "GET" })).body.arrayBuffer()).byteLength,
    post: async (path, body) =>
      (
        await (
          await pool.request({ path, method: "POST", body, headers: { "content-type": "application/json" } })
        ).body.arrayBuffer()
      ).byteLength,
    download: async (path) => drain((await pool.request({ path, method: "GET" })).body),
    upload: async (path, size) => {
      const r = await pool.request({
        path,
        method: "POST",
        body: Readable.from(pieces(size)),
        headers: { "content-length": String(size) },
      })
      await r.body.arrayBuffer()
      return size
    },
    close: () => pool.close(),
  }
}

/** The transport options of a shape: its connections, pipelining, and the CA to trust over HTTP/2. */
const transportOptions = (shape: Shape): NodeTransport.Options => ({
  maxConnectionsPerOrigin: shape.connections,
  pipelining: shape.pipelining,
  ...(shape.h2 === undefined ? {} : { tls: { ca: fs.readFileSync(shape.h2.ca) } }),
})

/** The standard Client (the options path), as `NodeTransport.client` makes it. */
export const standardLayer = (shape: Shape) => NodeTransport.client(transportOptions(shape))

/** A Client with no transforms over the same transport: what the standard composition costs is the difference. */
export const bareLayer = (shape: Shape) =>
  Layer.effect(Client.Client, Client.makeBare).pipe(Layer.provide(NodeTransport.layer(transportOptions(shape))))

/** The standard Client with three user steps (a request tap, a pass-through middleware, a response map). */
export const middlewareLayer = (shape: Shape) =>
  Client.layerTransform((client) =>
    client.pipe(
      Client.tapRequest(() => Effect.void),
      Client.middleware((request, next) => next(request)),
      Client.mapResponse((response) => response),
    ),
  ).pipe(Layer.provide(standardLayer(shape)))

/** Courier's operations: GETs of one Request value per path and POSTs read whole, streamed transfers. */
const courierOps = (base: string): Ops<Effect.Effect<number, unknown, Client.Client>> => {
  const requests = new Map<string, Request.Request>()
  const get = (path: string) => {
    let request = requests.get(path)
    if (request === undefined) {
      request = Request.get(`${base}${path}`)
      requests.set(path, request)
    }
    return request
  }
  return {
    get: (path) => Effect.map(Client.fetch(get(path)), (r) => (r.body instanceof Uint8Array ? r.body.length : 0)),
    post: (path, body) =>
      Effect.map(Client.fetch(Request.post(`${base}${path}`, { body: Body.bytes(body, "application/json") })), () => 0),
    download: (path) =>
      Effect.scoped(
        Effect.flatMap(Client.execute(get(path)), (r) => {
          let n = 0
          return Effect.andThen(
            Stream.runForEach(Response.stream(r), (c) =>
              Effect.sync(() => {
                n += c.length
              }),
            ),
            Effect.sync(() => n),
          )
        }),
      ),
    // The sink answers with the byte count it read: checked, so a faster upload is a real one.
    upload: (path, size) =>
      Effect.flatMap(
        Client.fetch(
          Request.post(`${base}${path}`, { body: Body.stream(Stream.fromIterable(pieces(size)), { length: size }) }),
        ),
        (r) =>
          Effect.flatMap(Response.text(r), (n) =>
            n === String(size) ? Effect.succeed(size) : Effect.die(new Error(`the sink read ${n} of ${size} bytes`)),
          ),
      ),
    close: () => Promise.resolve(),
  }
}

/**
 * The one-call API the way applications call it: a fresh request per call, `Client.get(url)` and the body,
 * `Client.post(url, { body })` with the 1 KiB JSON body.
 */
export const oneCallOps = (base: string): Ops<Effect.Effect<number, unknown, Client.Client>> => ({
  ...courierOps(base),
  get: (path) => Effect.map(Client.get(`${base}${path}`), (r) => (r.body instanceof Uint8Array ? r.body.length : 0)),
  post: (path, body) =>
    Effect.map(Client.post(`${base}${path}`, { body: Body.bytes(body, "application/json") }), (r) =>
      r.body instanceof Uint8Array ? r.body.length : 0,
    ),
})

export const courierClient =
  (layer: (shape: Shape) => Layer.Layer<Client.Client>, ops = courierOps) =>
  (base: string, shape: Shape): Driver => {
    const runtime = ManagedRuntime.make(layer(shape))
    return fiberDriver(runtime, { ...ops(base), close: () => runtime.dispose() })
  }

/** Each call started with its own `runPromise` on a ManagedRuntime, as a web handler starts it. */
export const courierPerCall = (base: string, shape: Shape): Driver => {
  const runtime = ManagedRuntime.make(standardLayer(shape))
  return perCallDriver(runtime, { ...oneCallOps(base), close: () => runtime.dispose() })
}

/**
 * The Effect runtime's own share: undici.request wrapped in `Effect.promise`, each call started with
 * `runPromise` on a ManagedRuntime (or run as fibers). No HTTP work is added, so what it loses against
 * undici.request is what any Effect client pays for the call style: the floor under Courier's numbers.
 */
export const undiciInEffect =
  (style: "runPromise" | "fibers") =>
  (base: string, shape: Shape): Driver => {
    const undici = undiciClient(base, shape)
    const runtime = ManagedRuntime.make(Layer.empty)
    const wrap =
      <A extends ReadonlyArray<unknown>>(f: (...args: A) => Promise<number>) =>
      (...args: A) =>
        Effect.promise(() => f(...args))
    const ops: Ops<Effect.Effect<number>> = {
      get: wrap(undici.get),
      post: wrap(undici.post),
      download: wrap(undici.download),
      upload: wrap(undici.upload),
      close: async () => {
        await runtime.dispose()
        await undici.close()
      },
    }
    return style === "fibers" ? fiberDriver(runtime, ops) : perCallDriver(runtime, ops)
  }

export const promise = (make: PromiseClient) => (base: string, shape: Shape) => promiseDriver(make(base, shape))

/** The clients of this module, by the name the results use. */
export const effectClients: Record<string, (base: string, shape: Shape) => Driver> = {
  courier: courierClient(standardLayer),
  "courier (bare)": courierClient(bareLayer),
  "courier (+3 middleware)": courierClient(middlewareLayer),
  "courier (one-call fibers)": courierClient(standardLayer, oneCallOps),
  "courier (one-call runPromise)": courierPerCall,
  "undici.request": promise(undiciClient),
  "undici.request in Effect (runPromise)": undiciInEffect("runPromise"),
  "undici.request in Effect (fibers)": undiciInEffect("fibers"),
}
