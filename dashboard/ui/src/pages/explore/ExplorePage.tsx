// PLACEHOLDER: replaced by the page's implementation before this lands.
export default function ExplorePage() {
  return <p className="muted">ExplorePage</p>
}
