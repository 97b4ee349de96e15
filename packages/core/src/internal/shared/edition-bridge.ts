/**
 * The edition bridge (issue 24): the data and Effect operations that Effect 3 and Effect 4 spell
 * differently, as this edition of Courier spells them. Courier's other packages of the same edition
 * (node-transport, mock-transport) reach them here, as `@courier/core/internal/edition`, so each rule is
 * written once for all three packages. It is not API: it follows the edition, not semver.
 * @internal
 */
import "./effect-major.js"

export * from "./edition.js"
export * from "./edition-effect.js"
