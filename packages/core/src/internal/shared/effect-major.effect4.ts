/**
 * The first module each entry point loads. It needs a part of `effect` that effect 3 does not have, so
 * that under effect 3 (which pnpm installs beside an unmet peer, with a warning) loading stops at this
 * file, whose name says what is wrong: Courier 1.x is the Effect 4 edition; an Effect 3 application
 * installs `@courier/core@0` (docs/effect-4.md).
 * It is the one module each package.json lists under `sideEffects`, so that a bundler keeps its import.
 * @internal
 */
export * as requiredMajor from "effect/Result"
