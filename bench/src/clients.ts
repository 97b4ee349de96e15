/**
 * The clients the benchmark compares, each behind one small interface: GET a path and read the body, POST
 * a body, download a path streaming it, upload a streamed body of a given size. Promise clients are driven
 * by async loops; Effect clients by fibers in one runtime, as Effect programs run them. The Effect clients
 * both editions run are in `effect-clients.ts`; these are the Effect 3 edition's other peers.
 */
import * as http from "node:http"
import { Readable } from "node:stream"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import axios from "axios"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Stream from "effect/Stream"
import got from "got"
import { Agent } from "undici"
import {
  type Driver,
  drain,
  effectClients,
  fiberDriver,
  type PromiseClient,
  pieces,
  promise,
  type Shape,
} from "./effect-clients.js"

export type { Driver, Op, Ops, Shape } from "./effect-clients.js"

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

/** Every client, by the name the results use. */
export const clients: Record<string, (base: string, shape: Shape) => Driver> = {
  ...effectClients,
  "node:http": promise(nodeHttpClient),
  fetch: promise(fetchClient),
  axios: promise(axiosClient),
  got: promise(gotClient),
  "@effect/platform (undici)": (base, shape) => platformClient(platformUndici(shape), base),
  "@effect/platform (node:http)": (base, shape) => platformClient(platformNodeHttp(shape), base),
}
