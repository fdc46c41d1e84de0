// PLACEHOLDER: replaced by the page's implementation before this lands.
export default function NodeAlarms() {
  return <p className="muted">NodeAlarms</p>
}
