/** The Effect 4 spelling of recording.ts: a tracer that keeps every span it makes. */
import * as Option from "effect/Option"
import * as Tracer from "effect/Tracer"
import { recorder } from "./recorded.js"

export type { Recorded } from "./recorded.js"

export const recording = () => {
  const { spans, open } = recorder()
  const tracer = Tracer.make({
    span: ({ name, parent, annotations, links, kind }): Tracer.Span => ({
      ...open(name, Option.getOrUndefined(parent), kind),
      parent,
      annotations,
      links,
    }),
  })
  return { tracer, spans }
}
