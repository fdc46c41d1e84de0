/** Under a chart: what its reader should know beside the lines (a prefix cut short, a line refused). */
export function ChartNotes({ notes }: { notes: readonly string[] }) {
  return notes.map((note) => (
    <p key={note} className="chart-note">
      {note}
    </p>
  ))
}
