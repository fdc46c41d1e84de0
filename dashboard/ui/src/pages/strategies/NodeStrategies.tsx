// PLACEHOLDER: replaced by the page's implementation before this lands.
export default function NodeStrategies() {
  return <p className="muted">NodeStrategies</p>
}
