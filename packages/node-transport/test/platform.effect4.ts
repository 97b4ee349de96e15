/** The Effect 4 spelling of platform.ts: effect/http, which Courier's `Platform` bridges to there. */
export * as FetchHttpClient from "effect/http/FetchHttpClient"
export * as HttpClient from "effect/http/HttpClient"
