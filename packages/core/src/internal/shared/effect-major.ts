/**
 * The first module each entry point loads. It needs a part of `effect` that only effect 3 has, so that
 * under effect 4 (which pnpm installs beside an unmet peer, with a warning) loading stops at this file,
 * whose name says what is wrong: Courier 0.x is the Effect 3 edition; an Effect 4 application installs
 * `@courier/core@1` (docs/effect-4.md).
 * It is the one module each package.json lists under `sideEffects`, so that a bundler keeps its import.
 * @internal
 */
export * as requiredMajor from "effect/Either"
