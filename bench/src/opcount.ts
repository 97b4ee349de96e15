// Counts Effect runtime ops per request (not committed).
import * as http from "node:http"
import { Client, Request } from "@courier/core"
import { NodeTransport } from "@courier/node-transport"
import * as Effect from "effect/Effect"
import * as ManagedRuntime from "effect/ManagedRuntime"

const g = globalThis as unknown as { __ops: number }
g.__ops = 0
const server = http.createServer((_req, res) => res.end("hello world"))
server.listen(0, "127.0.0.1", async () => {
  const port = (server.address() as { port: number }).port
  const rt = ManagedRuntime.make(NodeTransport.client({ pipelining: Number(process.env.PIPE ?? 1) }))
  const req = Request.get(`http://127.0.0.1:${port}/x`)
  const N = 2000
  const inflight = Number(process.env.INFLIGHT ?? 1)
  await rt.runPromise(Effect.forEach(Array.from({ length: 200 }), () => Client.fetch(req), { concurrency: inflight }))
  g.__ops = 0
  await rt.runPromise(Effect.forEach(Array.from({ length: N }), () => Client.fetch(req), { concurrency: inflight }))
  console.log("ops/request", (g.__ops / N).toFixed(1))
  await rt.dispose()
  server.close()
})
