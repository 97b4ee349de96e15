/**
 * Courier's version, as sent in the default `User-Agent`.
 *
 * @since 0.1.0
 */

/**
 * The version of @courier/core (kept equal to package.json by a test).
 *
 * @since 0.1.0
 * @category constants
 */
export const VERSION = "0.1.0"

/**
 * The default `User-Agent` a Client sends: `courier/<version>`.
 *
 * @since 0.1.0
 * @category constants
 */
export const USER_AGENT = `courier/${VERSION}`
