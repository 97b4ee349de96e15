/** A tracer that keeps every span it makes, for tests of Courier's spans over any transport. */
import * as Option from "effect/Option"
import * as Tracer from "effect/Tracer"
import { recorder } from "./recorded.js"

export type { Recorded } from "./recorded.js"

export const recording = () => {
  const { spans, open } = recorder()
  const tracer = Tracer.make({
    span: (name, parent, context, links, _start, kind): Tracer.Span => ({
      ...open(name, Option.getOrUndefined(parent), kind),
      parent,
      context,
      links,
    }),
    context: (f) => f(),
  })
  return { tracer, spans }
}
