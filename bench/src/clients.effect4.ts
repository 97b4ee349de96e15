/**
 * The clients the Effect 4 edition's bench process runs: those of `effect-clients.ts`, which compile on both
 * majors (this file takes the place of `clients.ts` in the Effect 4 edition's tree).
 */
export type { Driver, Op, Ops, Shape } from "./effect-clients.js"
export { effectClients as clients } from "./effect-clients.js"
