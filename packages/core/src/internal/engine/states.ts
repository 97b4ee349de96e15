/**
 * The states of an HTTP/1.1 exchange (exchange.ts), each holding what is valid in it, and what an exchange
 * answers with. Sending is a class of its own (sending.ts): it writes the request body.
 * @internal
 */
import type * as Effect from "effect/Effect"
import type { HttpError } from "../../HttpError.js"
import type * as Response from "../../Response.js"
import type { Head } from "../http1/model.js"
import type { Sending } from "./sending.js"

/** The Effect that closes the connection, when it must be closed; undefined when there is nothing to wait for. */
export type Closing = Effect.Effect<void> | undefined

/** On a pipelined connection, waiting for its turn to write. */
export interface Queued {
  readonly _tag: "Queued"
}

/** The request is written; no final head yet. */
export interface AwaitingHead {
  readonly _tag: "Head"
}

/** The final head arrived; the body is being read. */
export interface Reading {
  readonly _tag: "Body"
  readonly head: Head
  /** The answer came while the request body was going out, which was cut short: the connection is not reused. */
  readonly cut: boolean
  /** Body chunks decoded but not yet handed out. */
  pending: Array<Uint8Array>
  /** The streamed response once built, so trailers that arrive later reach it. */
  response: Response.Response | undefined
}

/** The last byte arrived, and the lease is given back. */
export interface Ended {
  readonly _tag: "Ended"
  /** The head, until the response is built from it. */
  head: Head | undefined
  pending: Array<Uint8Array>
  readonly trailers: ReadonlyArray<readonly [string, string]>
  /** The Effect that closes the connection, until someone is handed it. */
  closing: Closing
}

/** The exchange failed, and the connection is destroyed; every later report repeats the failure. */
export interface Failed {
  readonly _tag: "Failed"
  readonly error: HttpError
  /** The request may be sent again on a fresh connection (a dead reused socket, a refused pipeline). */
  readonly retryable: boolean
  /** The Effect that closes the connection, until someone is handed it. */
  closing: Closing
}

/** The caller gave the exchange up, and the connection is destroyed. */
export interface Abandoned {
  readonly _tag: "Abandoned"
}

export type State = Queued | Sending | AwaitingHead | Reading | Ended | Failed | Abandoned

export const QUEUED: Queued = { _tag: "Queued" }
export const HEAD: AwaitingHead = { _tag: "Head" }
export const ABANDONED: Abandoned = { _tag: "Abandoned" }

/** The phases with a deadline inside an exchange. */
export type Phase = "send" | "head" | "body"

/** The deadline's phase in a state, if it has one. */
export const phaseOf = (state: State): Phase | undefined => {
  switch (state._tag) {
    case "Sending":
      return "send"
    case "Head":
      return "head"
    case "Body":
      return "body"
    default:
      return undefined
  }
}

/** How an exchange ends for the one waiting on its response. */
export type Outcome =
  | { readonly _tag: "Answered"; readonly head: Head; readonly closing: Closing }
  | { readonly _tag: "Failed"; readonly error: HttpError; readonly closing: Closing }

/** What a pull of a streamed body gets. */
export type Pulled =
  | { readonly _tag: "Chunks"; readonly chunks: ReadonlyArray<Uint8Array>; readonly closing: Closing }
  | { readonly _tag: "End"; readonly closing: Closing }
  | { readonly _tag: "Failed"; readonly error: HttpError; readonly closing: Closing }
