// PLACEHOLDER: replaced by the page's implementation before this lands.
export default function AlarmsPage() {
  return <p className="muted">AlarmsPage</p>
}
