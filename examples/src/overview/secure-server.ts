/**
 * An HTTPS server on 127.0.0.1 for the seed 003 scenario, with a certificate authority made at start: a CA
 * and a server certificate for localhost and 127.0.0.1 (ECDSA P-256, valid for a day), signed with the
 * platform's WebCrypto through @peculiar/x509. Nothing is committed, nothing is trusted beyond this run:
 * clients trust the CA by passing its PEM as `tls.ca`. It speaks HTTP/2 and HTTP/1.1, chosen by ALPN, as
 * most HTTPS servers do: Courier's Client gets HTTP/2, httplib's Connection (HTTP/1.1 by nature) gets 1.1.
 */
import * as http2 from "node:http2"
import type * as net from "node:net"
import * as x509 from "@peculiar/x509"
import * as Effect from "effect/Effect"

x509.cryptoProvider.set(crypto)

const algorithm = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" }
const DAY = 24 * 60 * 60 * 1000

/** A CA and a server certificate signed by it, as PEM. */
const makeCertificates = Effect.promise(async () => {
  const now = Date.now()
  const validity = { notBefore: new Date(now - 60_000), notAfter: new Date(now + DAY) }
  const caKeys = await crypto.subtle.generateKey(algorithm, true, ["sign", "verify"])
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: "01",
    name: "CN=Courier demo CA",
    keys: caKeys,
    signingAlgorithm: algorithm,
    ...validity,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  })
  const serverKeys = await crypto.subtle.generateKey(algorithm, true, ["sign", "verify"])
  const server = await x509.X509CertificateGenerator.create({
    serialNumber: "02",
    subject: "CN=localhost",
    issuer: ca.subject,
    signingKey: caKeys.privateKey,
    publicKey: serverKeys.publicKey,
    signingAlgorithm: algorithm,
    ...validity,
    extensions: [
      new x509.SubjectAlternativeNameExtension([
        { type: "dns", value: "localhost" },
        { type: "ip", value: "127.0.0.1" },
      ]),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
    ],
  })
  const key = x509.PemConverter.encode(await crypto.subtle.exportKey("pkcs8", serverKeys.privateKey), "PRIVATE KEY")
  return { ca: ca.toString("pem"), cert: server.toString("pem"), key }
})

const users = [
  { id: 1, name: "Ada Lovelace" },
  { id: 2, name: "Grace Hopper" },
]

/** The HTTPS server, closed with the scope: `/users` answers a JSON list; `ca` is the PEM to trust. */
export const secureServer = Effect.gen(function* () {
  const { ca, cert, key } = yield* makeCertificates
  const server = http2.createSecureServer({ cert, key, allowHTTP1: true }, (req, res) => {
    if (req.url === "/users") {
      res.writeHead(200, { "Content-Type": "application/json" })
      res.end(JSON.stringify(users))
      return
    }
    res.writeHead(404, { "Content-Type": "text/plain" })
    res.end("not found")
  })
  const sockets = new Set<net.Socket>()
  server.on("secureConnection", (socket: net.Socket) => {
    sockets.add(socket)
    socket.on("close", () => sockets.delete(socket))
  })
  const port = yield* Effect.acquireRelease(
    Effect.promise(
      () =>
        new Promise<number>((listening) =>
          server.listen(0, "127.0.0.1", () => listening((server.address() as net.AddressInfo).port)),
        ),
    ),
    () =>
      Effect.promise(
        () =>
          new Promise<void>((closed) => {
            for (const socket of sockets) socket.destroy()
            server.close(() => closed())
          }),
      ),
  )
  return { ca, port, origin: `https://localhost:${port}` }
})
