/** A grouped bar chart as SVG: one group per workload, one bar per client, values as × undici.request. */
export interface Series {
  readonly workload: string
  readonly values: ReadonlyArray<{ readonly client: string; readonly ratio: number }>
}

const palette = ["#2563eb", "#9ca3af", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#ec4899", "#14b8a6"]
const xml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;")

export const barChart = (title: string, series: ReadonlyArray<Series>): string => {
  const clients = [...new Set(series.flatMap((s) => s.values.map((v) => v.client)))]
  const barH = 14
  const groupH = clients.length * barH + 18
  const left = 230
  const width = 880
  const top = 50
  const height = top + series.length * groupH + 40 + clients.length * 16
  const max = Math.max(1.2, ...series.flatMap((s) => s.values.map((v) => v.ratio)))
  const x = (r: number) => left + (r / max) * (width - left - 60)
  const parts: Array<string> = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${xml(title)}</text>`,
    `<line x1="${x(1)}" y1="${top - 8}" x2="${x(1)}" y2="${top + series.length * groupH}" stroke="#111" stroke-dasharray="4 3"/>`,
    `<text x="${x(1)}" y="${top - 12}" text-anchor="middle">1.0 × undici.request</text>`,
  ]
  series.forEach((s, g) => {
    const y0 = top + g * groupH
    parts.push(`<text x="8" y="${y0 + groupH / 2}" font-weight="bold">${xml(s.workload)}</text>`)
    s.values.forEach((v) => {
      const i = clients.indexOf(v.client)
      const y = y0 + i * barH
      parts.push(
        `<rect x="${left}" y="${y}" width="${Math.max(1, x(v.ratio) - left)}" height="${barH - 3}" fill="${palette[i % palette.length]}"/>`,
        `<text x="${x(v.ratio) + 4}" y="${y + barH - 5}" font-size="10">${v.ratio.toFixed(2)}</text>`,
      )
    })
  })
  const legendY = top + series.length * groupH + 20
  clients.forEach((c, i) => {
    parts.push(
      `<rect x="${left}" y="${legendY + i * 16}" width="12" height="12" fill="${palette[i % palette.length]}"/>`,
      `<text x="${left + 18}" y="${legendY + i * 16 + 10}">${xml(c)}</text>`,
    )
  })
  parts.push("</svg>")
  return parts.join("\n")
}
