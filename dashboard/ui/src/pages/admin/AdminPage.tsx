// PLACEHOLDER: replaced by the page's implementation before this lands.
export default function AdminPage() {
  return <p className="muted">AdminPage</p>
}
