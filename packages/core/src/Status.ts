/**
 * HTTP status codes as named constants and their reason phrases (httplib's constants and `responses`).
 *
 * @since 0.1.0
 */

/** @internal */
const table = [
  [100, "CONTINUE", "Continue"],
  [101, "SWITCHING_PROTOCOLS", "Switching Protocols"],
  [102, "PROCESSING", "Processing"],
  [103, "EARLY_HINTS", "Early Hints"],
  [200, "OK", "OK"],
  [201, "CREATED", "Created"],
  [202, "ACCEPTED", "Accepted"],
  [203, "NON_AUTHORITATIVE_INFORMATION", "Non-Authoritative Information"],
  [204, "NO_CONTENT", "No Content"],
  [205, "RESET_CONTENT", "Reset Content"],
  [206, "PARTIAL_CONTENT", "Partial Content"],
  [207, "MULTI_STATUS", "Multi-Status"],
  [208, "ALREADY_REPORTED", "Already Reported"],
  [226, "IM_USED", "IM Used"],
  [300, "MULTIPLE_CHOICES", "Multiple Choices"],
  [301, "MOVED_PERMANENTLY", "Moved Permanently"],
  [302, "FOUND", "Found"],
  [303, "SEE_OTHER", "See Other"],
  [304, "NOT_MODIFIED", "Not Modified"],
  [305, "USE_PROXY", "Use Proxy"],
  [307, "TEMPORARY_REDIRECT", "Temporary Redirect"],
  [308, "PERMANENT_REDIRECT", "Permanent Redirect"],
  [400, "BAD_REQUEST", "Bad Request"],
  [401, "UNAUTHORIZED", "Unauthorized"],
  [402, "PAYMENT_REQUIRED", "Payment Required"],
  [403, "FORBIDDEN", "Forbidden"],
  [404, "NOT_FOUND", "Not Found"],
  [405, "METHOD_NOT_ALLOWED", "Method Not Allowed"],
  [406, "NOT_ACCEPTABLE", "Not Acceptable"],
  [407, "PROXY_AUTHENTICATION_REQUIRED", "Proxy Authentication Required"],
  [408, "REQUEST_TIMEOUT", "Request Timeout"],
  [409, "CONFLICT", "Conflict"],
  [410, "GONE", "Gone"],
  [411, "LENGTH_REQUIRED", "Length Required"],
  [412, "PRECONDITION_FAILED", "Precondition Failed"],
  [413, "REQUEST_ENTITY_TOO_LARGE", "Request Entity Too Large"],
  [414, "REQUEST_URI_TOO_LONG", "Request-URI Too Long"],
  [415, "UNSUPPORTED_MEDIA_TYPE", "Unsupported Media Type"],
  [416, "REQUESTED_RANGE_NOT_SATISFIABLE", "Requested Range Not Satisfiable"],
  [417, "EXPECTATION_FAILED", "Expectation Failed"],
  [418, "IM_A_TEAPOT", "I'm a Teapot"],
  [421, "MISDIRECTED_REQUEST", "Misdirected Request"],
  [422, "UNPROCESSABLE_ENTITY", "Unprocessable Entity"],
  [423, "LOCKED", "Locked"],
  [424, "FAILED_DEPENDENCY", "Failed Dependency"],
  [425, "TOO_EARLY", "Too Early"],
  [426, "UPGRADE_REQUIRED", "Upgrade Required"],
  [428, "PRECONDITION_REQUIRED", "Precondition Required"],
  [429, "TOO_MANY_REQUESTS", "Too Many Requests"],
  [431, "REQUEST_HEADER_FIELDS_TOO_LARGE", "Request Header Fields Too Large"],
  [451, "UNAVAILABLE_FOR_LEGAL_REASONS", "Unavailable For Legal Reasons"],
  [500, "INTERNAL_SERVER_ERROR", "Internal Server Error"],
  [501, "NOT_IMPLEMENTED", "Not Implemented"],
  [502, "BAD_GATEWAY", "Bad Gateway"],
  [503, "SERVICE_UNAVAILABLE", "Service Unavailable"],
  [504, "GATEWAY_TIMEOUT", "Gateway Timeout"],
  [505, "HTTP_VERSION_NOT_SUPPORTED", "HTTP Version Not Supported"],
  [506, "VARIANT_ALSO_NEGOTIATES", "Variant Also Negotiates"],
  [507, "INSUFFICIENT_STORAGE", "Insufficient Storage"],
  [508, "LOOP_DETECTED", "Loop Detected"],
  [510, "NOT_EXTENDED", "Not Extended"],
  [511, "NETWORK_AUTHENTICATION_REQUIRED", "Network Authentication Required"],
] as const

type Row = (typeof table)[number]

/**
 * Every named status code: `Status.codes.NOT_FOUND === 404`.
 *
 * @since 0.1.0
 * @category constants
 */
export const codes = Object.fromEntries(table.map(([code, name]) => [name, code])) as {
  readonly [R in Row as R[1]]: R[0]
}

/**
 * 200 OK.
 *
 * @since 0.1.0
 * @category constants
 */
export const OK = 200
/**
 * 404 Not Found.
 *
 * @since 0.1.0
 * @category constants
 */
export const NOT_FOUND = 404
/**
 * 500 Internal Server Error.
 *
 * @since 0.1.0
 * @category constants
 */
export const INTERNAL_SERVER_ERROR = 500

/**
 * The reason phrase of every known code (httplib's `responses`): `Status.responses.get(404) === "Not Found"`.
 *
 * @since 0.1.0
 * @category constants
 */
export const responses: ReadonlyMap<number, string> = new Map(table.map(([code, , phrase]) => [code, phrase]))

/**
 * The reason phrase of a code, or `"Unknown"`.
 *
 * @since 0.1.0
 * @category getters
 */
export const reason = (code: number): string => responses.get(code) ?? "Unknown"

/**
 * Whether a status is 2xx.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isSuccess = (code: number): boolean => code >= 200 && code < 300
