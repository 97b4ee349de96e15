/**
 * Type guards for the unions the public inputs take (a list or a record, pairs or an object), where
 * TypeScript's own narrowing does not reach: `Array.isArray` does not narrow a `ReadonlyArray`, nor `in`
 * an `Iterable`.
 * @internal
 */

/** A list, of either kind, rather than the record beside it in the union. */
export const isList = <A, B>(x: ReadonlyArray<A> | B): x is ReadonlyArray<A> => Array.isArray(x)

/** Something iterable, rather than the plain record beside it in the union. */
export const isIterable = <A, B extends object>(x: Iterable<A> | B): x is Iterable<A> => Symbol.iterator in x
