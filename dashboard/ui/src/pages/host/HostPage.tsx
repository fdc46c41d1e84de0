// PLACEHOLDER: replaced by the page's implementation before this lands.
export default function HostPage() {
  return <p className="muted">HostPage</p>
}
