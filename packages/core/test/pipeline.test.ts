// The ticket order of a pipelined connection, without sockets: who may write, who may read, who is refused.
import { describe, expect, it } from "@effect/vitest"
import { Pipeline } from "../src/internal/engine/pipeline.js"

/** Records the order in which turns come, and whether the connection was dead when each came. */
const recorder = (pl: Pipeline) => {
  const log: Array<string> = []
  return {
    log,
    write: (ticket: number) => pl.whenWriteTurn(ticket, () => log.push(`${pl.dead ? "refused" : "write"} ${ticket}`)),
    read: (ticket: number) => pl.whenReadTurn(ticket, () => log.push(`${pl.dead ? "refused" : "read"} ${ticket}`)),
  }
}

describe("Pipeline", () => {
  it("a later ticket writes only after the earlier one has, whichever asks first", () => {
    const pl = new Pipeline()
    const first = pl.issue("others may join")
    const second = pl.issue("others may join")
    const r = recorder(pl)
    r.write(second)
    expect(r.log).toEqual([])
    r.write(first)
    expect(r.log).toEqual(["write 0"])
    pl.wrote(first)
    expect(r.log).toEqual(["write 0", "write 1"])
  })

  it("responses are read in ticket order", () => {
    const pl = new Pipeline()
    const [a, b, c] = [pl.issue("others may join"), pl.issue("others may join"), pl.issue("others may join")]
    const r = recorder(pl)
    r.read(c)
    r.read(b)
    r.read(a)
    expect(r.log).toEqual(["read 0"])
    expect(pl.finish(a, "reuse")).toBe("Busy")
    expect(r.log).toEqual(["read 0", "read 1"])
    expect(pl.finish(b, "reuse")).toBe("Busy")
    expect(r.log).toEqual(["read 0", "read 1", "read 2"])
    expect(pl.finish(c, "reuse")).toBe("Idle")
  })

  it("an exchange abandoned behind others closes the pipeline to new writes and dooms it at its turn", () => {
    const pl = new Pipeline()
    const [a, b, c] = [pl.issue("others may join"), pl.issue("others may join"), pl.issue("others may join")]
    const r = recorder(pl)
    r.read(c)
    expect(pl.finish(b, "destroy")).toBe("Nothing")
    expect(pl.closing).toBe(true)
    expect(pl.accepts(8)).toBe(false)
    // The one ahead still reads; when the abandoned one's turn comes, the connection must die.
    expect(pl.finish(a, "reuse")).toBe("Kill")
    pl.kill()
    expect(r.log).toEqual(["refused 2"])
  })

  it("an exchange that gives up while it reads asks for the connection to be killed at once", () => {
    const pl = new Pipeline()
    const a = pl.issue("others may join")
    pl.issue("others may join")
    expect(pl.finish(a, "destroy")).toBe("Kill")
  })

  it("nothing more is decided for exchanges that finish after the connection died", () => {
    const pl = new Pipeline()
    const [a, b] = [pl.issue("others may join"), pl.issue("others may join")]
    pl.kill()
    expect(pl.finish(a, "reuse")).toBe("Nothing")
    expect(pl.finish(b, "destroy")).toBe("Nothing")
    expect(pl.inFlight).toBe(0)
  })

  it("bytes past the last response kill the connection once nothing is in flight", () => {
    const pl = new Pipeline()
    const a = pl.issue("others may join")
    pl.leftover = new Uint8Array([72])
    expect(pl.finish(a, "reuse")).toBe("Kill")
  })

  it("a request others may not join stops the joining until nothing is in flight", () => {
    const pl = new Pipeline()
    const a = pl.issue("nothing may join")
    expect(pl.accepts(8)).toBe(false)
    expect(pl.finish(a, "reuse")).toBe("Idle")
    expect(pl.accepts(8)).toBe(true)
  })

  it("once nothing is in flight, the order starts again from the first ticket", () => {
    const pl = new Pipeline()
    const a = pl.issue("others may join")
    pl.wrote(a)
    expect(pl.finish(a, "reuse")).toBe("Idle")
    expect(pl.issue("others may join")).toBe(0)
    const r = recorder(pl)
    r.write(0)
    r.read(0)
    expect(r.log).toEqual(["write 0", "read 0"])
  })
})
