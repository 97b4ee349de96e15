// The packed packages from CommonJS, either edition (scripts/pack-check.sh, scripts/edition4/pack-check.sh):
// the node transport against a local server, the mock transport, and the Platform entry point.
const http = require("node:http")
const { Client, Request, Response, VERSION } = require("@courier/core")
const Platform = require("@courier/core/Platform")
const { NodeTransport } = require("@courier/node-transport")
const { MockTransport } = require("@courier/mock-transport")
const { Effect, Layer } = require("effect")

const main = async () => {
  const server = http.createServer((req, res) => res.end(`hello ${req.url}`))
  await new Promise((r) => server.listen(0, "127.0.0.1", r))
  const url = `http://127.0.0.1:${server.address().port}/required`
  const real = await Effect.runPromise(
    Effect.flatMap(Client.get(url), Response.text).pipe(Effect.provide(NodeTransport.client())),
  )
  if (real !== "hello /required") throw new Error(`node transport from CommonJS: ${real}`)
  const mock = MockTransport.layer([{ path: "/x", reply: { status: 200, text: "mocked" } }])
  const mocked = await Effect.runPromise(
    Effect.flatMap(Client.fetch(Request.get("http://mock.test/x")), Response.text).pipe(
      Effect.provide(Client.layer().pipe(Layer.provide(mock))),
    ),
  )
  if (mocked !== "mocked") throw new Error(`mock transport from CommonJS: ${mocked}`)
  if (typeof Platform.httpClient !== "function") throw new Error("Platform entry point from CommonJS")
  server.close()
  console.log(`${process.argv[2] ?? "pack check"}: @courier/core ${VERSION} and friends also require from CommonJS`)
}
main().catch((e) => {
  console.error(e)
  process.exit(1)
})
