// PLACEHOLDER: replaced by the page's implementation before this lands.
export default function NodeScreens() {
  return <p className="muted">NodeScreens</p>
}
