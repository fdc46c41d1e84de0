/** A priority as every page shows it: P0 (the highest) to P6, coloured by the theme. */
export function PriorityBadge({ priority }: { priority: number }) {
  return <span className={`badge p${priority}`}>P{priority}</span>
}
