/**
 * The lines a guide's test file spells apart on the two Effect majors (issue 24). Such a file is kept once,
 * as its Effect 3 module `x.test.ts` (the suite runs it in place), with `x.test.effect3.diff` beside it:
 * the lines that differ, as the guide shows them under the Effect 4 file — a `-` line is Effect 4's, a `+`
 * line is Effect 3's, and any other line (`@@`, say) ends a hunk. The edition's tree writes the Effect 4
 * file from the two (`toEffect4`); the guide test checks that the guide shows that file and this diff.
 */

/** One hunk: lines of the Effect 4 file and the Effect 3 lines that stand in their place. */
interface Hunk {
  readonly effect4: ReadonlyArray<string>
  readonly effect3: ReadonlyArray<string>
}

/** The hunks of a diff, in order; a hunk must name at least one line of each side it replaces. */
const parseHunks = (diff: string): ReadonlyArray<Hunk> => {
  const hunks: Array<Hunk> = []
  let effect4: Array<string> = []
  let effect3: Array<string> = []
  const end = () => {
    if (effect4.length === 0 && effect3.length === 0) return
    if (effect4.length === 0 || effect3.length === 0) {
      throw new Error(`a hunk must replace lines with lines: ${[...effect4, ...effect3].join(" / ")}`)
    }
    hunks.push({ effect4, effect3 })
    effect4 = []
    effect3 = []
  }
  for (const line of diff.split("\n")) {
    if (line.startsWith("-")) {
      if (effect3.length > 0) end()
      effect4.push(line.slice(1))
    } else if (line.startsWith("+")) {
      effect3.push(line.slice(1))
    } else {
      end()
    }
  }
  end()
  return hunks
}

/** Where `run` stands as whole lines in `lines`, looking from `from` on; -1 if it does not. */
const indexOfRun = (lines: ReadonlyArray<string>, run: ReadonlyArray<string>, from: number): number => {
  for (let i = from; i + run.length <= lines.length; i++) {
    if (run.every((line, k) => lines[i + k] === line)) return i
  }
  return -1
}

const apply = (text: string, diff: string, from: "effect3" | "effect4", to: "effect3" | "effect4"): string => {
  const lines = text.split("\n")
  let at = 0
  for (const hunk of parseHunks(diff)) {
    const i = indexOfRun(lines, hunk[from], at)
    if (i < 0) throw new Error(`the ${from} file has no lines\n${hunk[from].join("\n")}\nafter line ${at}`)
    lines.splice(i, hunk[from].length, ...hunk[to])
    at = i + hunk[to].length
  }
  return lines.join("\n")
}

/** The Effect 4 file, from the Effect 3 file and the lines that differ. */
export const toEffect4 = (effect3File: string, diff: string): string => apply(effect3File, diff, "effect3", "effect4")

/** The Effect 3 file, from the Effect 4 file and the lines that differ. */
export const toEffect3 = (effect4File: string, diff: string): string => apply(effect4File, diff, "effect4", "effect3")
