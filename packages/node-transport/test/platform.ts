/**
 * The HTTP library of the edition, for the interop suites: @effect/platform's here (the Effect 3 edition),
 * effect/http's in `platform.effect4.ts` (the Effect 4 edition). Courier's `Platform` module bridges to it.
 */
export * as FetchHttpClient from "@effect/platform/FetchHttpClient"
export * as HttpClient from "@effect/platform/HttpClient"
