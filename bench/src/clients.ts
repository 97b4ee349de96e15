/**
 * The clients the benchmark compares, each behind one small interface: GET a path and read the body, POST
 * a body, download a path streaming it, upload a streamed body of a given size. Promise clients are driven
 * by async loops; Effect clients by fibers in one runtime, as Effect programs run them.
 */
import * as fs from "node:fs"
import * as http from "node:http"
import { Readable } from "node:stream"
import { Body, Client, Request, Response } from "@courier/core"
import { NodeTransport } from "@courier/node-transport"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import axios from "axios"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Stream from "effect/Stream"
import got from "got"
import { Agent, Pool } from "undici"

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
const promiseDriver = (ops: Ops<Promise<number>>): Driver => ({
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
const fiberDriver = <R>(
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
const perCallDriver = <R>(
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

const PIECE = 64 * 1024
const piece = Buffer.alloc(PIECE, 0x63)
const pieces = function* (size: number) {
  for (let sent = 0; sent < size; sent += PIECE) yield sent + PIECE <= size ? piece : piece.subarray(0, size - sent)
}

type PromiseClient = (base: string, shape: Shape) => Ops<Promise<number>>

const drain = async (body: AsyncIterable<Uint8Array>): Promise<number> => {
  let n = 0
  for await (const chunk of body) n += chunk.length
  return n
}

const undiciClient: PromiseClient = (base, shape) => {
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

const nodeHttpClient: PromiseClient = (base, shape) => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: shape.connections })
  const call = (
    path: string,
    method: string,
    write?: (req: http.ClientRequest) => void,
    headers: http.OutgoingHttpHeaders = {},
  ) =>
    new Promise<number>((resolve, reject) => {
      const req = http.request(`${base}${path}`, { agent, method, headers }, (res) => {
        let n = 0
        res.on("data", (d: Buffer) => {
          n += d.length
        })
        res.on("end", () => resolve(n))
        res.on("error", reject)
      })
      req.on("error", reject)
      if (write === undefined) req.end()
      else write(req)
    })
  return {
    get: (path) => call(path, "GET"),
    post: (path, body) =>
      call(path, "POST", (req) => req.end(body), { "content-type": "application/json", "content-length": body.length }),
    download: (path) => call(path, "GET"),
    upload: (path, size) =>
      call(path, "POST", (req) => Readable.from(pieces(size)).pipe(req), { "content-length": size }).then(() => size),
    close: async () => agent.destroy(),
  }
}

const fetchClient: PromiseClient = (base, shape) => {
  const dispatcher = new Agent({ connections: shape.connections })
  const init = { dispatcher } as unknown as RequestInit
  return {
    get: async (path) => (await (await fetch(`${base}${path}`, init)).arrayBuffer()).byteLength,
    post: async (path, body) =>
      (
        await (
          await fetch(`${base}${path}`, {
            ...init,
            method: "POST",
            body: body as Uint8Array<ArrayBuffer>,
            headers: { "content-type": "application/json" },
          })
        ).arrayBuffer()
      ).byteLength,
    download: async (path) => drain((await fetch(`${base}${path}`, init)).body as unknown as AsyncIterable<Uint8Array>),
    upload: async (path, size) => {
      const body = Readable.toWeb(Readable.from(pieces(size))) as unknown as BodyInit
      const r = await fetch(`${base}${path}`, {
        ...init,
        method: "POST",
        body,
        duplex: "half",
        headers: { "content-length": String(size) },
      } as RequestInit)
      await r.arrayBuffer()
      return size
    },
    close: () => dispatcher.close(),
  }
}

const axiosClient: PromiseClient = (base, shape) => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: shape.connections })
  const ax = axios.create({
    baseURL: base,
    httpAgent: agent,
    responseType: "arraybuffer",
    maxBodyLength: Number.POSITIVE_INFINITY,
    maxContentLength: Number.POSITIVE_INFINITY,
  })
  return {
    get: async (path) => ((await ax.get(path)).data as ArrayBuffer).byteLength,
    post: async (path, body) =>
      ((await ax.post(path, body, { headers: { "content-type": "application/json" } })).data as ArrayBuffer).byteLength,
    download: async (path) => drain((await ax.get(path, { responseType: "stream" })).data as AsyncIterable<Uint8Array>),
    upload: async (path, size) => {
      await ax.post(path, Readable.from(pieces(size)), { headers: { "content-length": String(size) } })
      return size
    },
    close: async () => agent.destroy(),
  }
}

const gotClient: PromiseClient = (base, shape) => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: shape.connections })
  const g = got.extend({ prefixUrl: base, agent: { http: agent }, retry: { limit: 0 } })
  const p = (path: string) => path.replace(/^\//, "")
  return {
    get: async (path) => (await g.get(p(path)).buffer()).length,
    post: async (path, body) =>
      (await g.post(p(path), { body: Buffer.from(body), headers: { "content-type": "application/json" } }).buffer())
        .length,
    download: async (path) => drain(g.stream(p(path))),
    upload: async (path, size) => {
      await g.post(p(path), { body: Readable.from(pieces(size)), headers: { "content-length": String(size) } }).buffer()
      return size
    },
    close: async () => agent.destroy(),
  }
}

/** The transport options of a shape: its connections, pipelining, and the CA to trust over HTTP/2. */
const transportOptions = (shape: Shape): NodeTransport.Options => ({
  maxConnectionsPerOrigin: shape.connections,
  pipelining: shape.pipelining,
  ...(shape.h2 === undefined ? {} : { tls: { ca: fs.readFileSync(shape.h2.ca) } }),
})

/** The standard Client (the options path), as `NodeTransport.client` makes it. */
const standardLayer = (shape: Shape) => NodeTransport.client(transportOptions(shape))

/** A Client with no transforms over the same transport: what the standard composition costs is the difference. */
const bareLayer = (shape: Shape) =>
  Layer.effect(Client.Client, Client.makeBare).pipe(Layer.provide(NodeTransport.layer(transportOptions(shape))))

/** The standard Client with three user steps (a request tap, a pass-through middleware, a response map). */
const middlewareLayer = (shape: Shape) =>
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
        Effect.flatMap(Client.execute(get(path)), (r) => Stream.runFold(Response.stream(r), 0, (n, c) => n + c.length)),
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
const oneCallOps = (base: string): Ops<Effect.Effect<number, unknown, Client.Client>> => ({
  ...courierOps(base),
  get: (path) => Effect.map(Client.get(`${base}${path}`), (r) => (r.body instanceof Uint8Array ? r.body.length : 0)),
  post: (path, body) =>
    Effect.map(Client.post(`${base}${path}`, { body: Body.bytes(body, "application/json") }), (r) =>
      r.body instanceof Uint8Array ? r.body.length : 0,
    ),
})

const courierClient =
  (layer: (shape: Shape) => Layer.Layer<Client.Client>, ops = courierOps) =>
  (base: string, shape: Shape): Driver => {
    const runtime = ManagedRuntime.make(layer(shape))
    return fiberDriver(runtime, { ...ops(base), close: () => runtime.dispose() })
  }

/** Each call started with its own `runPromise` on a ManagedRuntime, as a web handler starts it. */
const courierPerCall = (base: string, shape: Shape): Driver => {
  const runtime = ManagedRuntime.make(standardLayer(shape))
  return perCallDriver(runtime, { ...oneCallOps(base), close: () => runtime.dispose() })
}

/**
 * The Effect runtime's own share: undici.request wrapped in `Effect.promise`, each call started with
 * `runPromise` on a ManagedRuntime (or run as fibers). No HTTP work is added, so what it loses against
 * undici.request is what any Effect client pays for the call style: the floor under Courier's numbers.
 */
const undiciInEffect =
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

const platformClient = (layer: Layer.Layer<HttpClient.HttpClient>, base: string): Driver => {
  const runtime = ManagedRuntime.make(layer)
  const client = Effect.flatMap(HttpClient.HttpClient, (c) => Effect.succeed(c))
  const read = (request: HttpClientRequest.HttpClientRequest) =>
    Effect.scoped(
      Effect.flatMap(client, (c) =>
        Effect.flatMap(c.execute(request), (r) => Effect.map(r.arrayBuffer, (b) => b.byteLength)),
      ),
    )
  return fiberDriver(runtime, {
    get: (path) => read(HttpClientRequest.get(`${base}${path}`)),
    post: (path, body) =>
      read(HttpClientRequest.post(`${base}${path}`).pipe(HttpClientRequest.bodyUint8Array(body, "application/json"))),
    download: (path) =>
      Effect.scoped(
        Effect.flatMap(client, (c) =>
          Effect.flatMap(c.execute(HttpClientRequest.get(`${base}${path}`)), (r) =>
            Stream.runFold(r.stream, 0, (n, x) => n + x.length),
          ),
        ),
      ),
    upload: (path, size) =>
      Effect.as(
        read(
          HttpClientRequest.post(`${base}${path}`).pipe(
            HttpClientRequest.bodyStream(Stream.fromIterable(pieces(size)), { contentLength: size }),
          ),
        ),
        size,
      ),
    close: () => runtime.dispose(),
  })
}

const platformUndici = (shape: Shape) =>
  NodeHttpClient.layerUndiciWithoutDispatcher.pipe(
    Layer.provide(Layer.succeed(NodeHttpClient.Dispatcher, new Agent({ connections: shape.connections }) as never)),
  )
const platformNodeHttp = (shape: Shape) =>
  NodeHttpClient.layerWithoutAgent.pipe(
    Layer.provide(NodeHttpClient.makeAgentLayer({ keepAlive: true, maxSockets: shape.connections })),
  )

const promise = (make: PromiseClient) => (base: string, shape: Shape) => promiseDriver(make(base, shape))

/** Every client, by the name the results use. */
export const clients: Record<string, (base: string, shape: Shape) => Driver> = {
  courier: courierClient(standardLayer),
  "courier (bare)": courierClient(bareLayer),
  "courier (+3 middleware)": courierClient(middlewareLayer),
  "courier (one-call fibers)": courierClient(standardLayer, oneCallOps),
  "courier (one-call runPromise)": courierPerCall,
  "undici.request": promise(undiciClient),
  "undici.request in Effect (runPromise)": undiciInEffect("runPromise"),
  "undici.request in Effect (fibers)": undiciInEffect("fibers"),
  "node:http": promise(nodeHttpClient),
  fetch: promise(fetchClient),
  axios: promise(axiosClient),
  got: promise(gotClient),
  "@effect/platform (undici)": (base, shape) => platformClient(platformUndici(shape), base),
  "@effect/platform (node:http)": (base, shape) => platformClient(platformNodeHttp(shape), base),
}
