/** A tracer that keeps every span it makes, for tests of Courier's spans over any transport. */
import type * as Context from "effect/Context"
import type * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Tracer from "effect/Tracer"

export interface Recorded {
  readonly name: string
  readonly spanId: string
  readonly traceId: string
  readonly parentId: string | undefined
  readonly kind: Tracer.SpanKind
  readonly attributes: Map<string, unknown>
  ended: boolean
}

export const recording = () => {
  const spans: Array<Recorded> = []
  let next = 0
  const tracer = Tracer.make({
    span(name, parent, context: Context.Context<never>, links, _start, kind) {
      const parentSpan = Option.getOrUndefined(parent)
      const record: Recorded = {
        name,
        spanId: (++next).toString(16).padStart(16, "0"),
        traceId: parentSpan?.traceId ?? "0af7651916cd43dd8448eb211c80319c",
        parentId: parentSpan?.spanId,
        kind,
        attributes: new Map(),
        ended: false,
      }
      spans.push(record)
      const span: Tracer.Span = {
        _tag: "Span",
        name,
        spanId: record.spanId,
        traceId: record.traceId,
        parent,
        context,
        status: { _tag: "Started", startTime: 0n },
        attributes: record.attributes,
        links,
        sampled: true,
        kind,
        end: (_t: bigint, _exit: Exit.Exit<unknown, unknown>) => {
          record.ended = true
        },
        attribute: (k, v) => {
          record.attributes.set(k, v)
        },
        event: () => undefined,
        addLinks: () => undefined,
      }
      return span
    },
    context: (f) => f(),
  })
  return { tracer, spans }
}
