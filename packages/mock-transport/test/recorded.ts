/**
 * What the recording tracer (recording.ts, with its Effect 4 spelling) keeps of each span, and the span
 * methods that write it: the part of the tracer both editions share.
 */
import type * as Tracer from "effect/Tracer"

export interface Recorded {
  readonly name: string
  readonly spanId: string
  readonly traceId: string
  readonly parentId: string | undefined
  readonly kind: Tracer.SpanKind
  readonly attributes: Map<string, unknown>
  ended: boolean
}

/** The spans recorded so far, and `open`, which records a new one and gives the methods of its span. */
export const recorder = () => {
  const spans: Array<Recorded> = []
  let next = 0
  const open = (
    name: string,
    parent: { readonly traceId: string; readonly spanId: string } | undefined,
    kind: Tracer.SpanKind,
  ) => {
    const record: Recorded = {
      name,
      spanId: (++next).toString(16).padStart(16, "0"),
      traceId: parent?.traceId ?? "0af7651916cd43dd8448eb211c80319c",
      parentId: parent?.spanId,
      kind,
      attributes: new Map(),
      ended: false,
    }
    spans.push(record)
    const methods = {
      _tag: "Span",
      name,
      spanId: record.spanId,
      traceId: record.traceId,
      status: { _tag: "Started", startTime: 0n },
      attributes: record.attributes,
      sampled: true,
      kind,
      end: () => {
        record.ended = true
      },
      attribute: (k: string, v: unknown) => {
        record.attributes.set(k, v)
      },
      event: () => undefined,
      addLinks: () => undefined,
    } as const
    return methods
  }
  return { spans, open }
}
