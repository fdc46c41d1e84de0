// PLACEHOLDER: replaced by the page's implementation before this lands.
export default function SilencesPage() {
  return <p className="muted">SilencesPage</p>
}
