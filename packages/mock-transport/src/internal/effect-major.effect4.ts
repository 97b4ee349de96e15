/**
 * The effect major this edition needs, checked before anything else of the package loads: see
 * @courier/core's internal/shared/effect-major.ts.
 * @internal
 */
export * as requiredMajor from "effect/Result"
