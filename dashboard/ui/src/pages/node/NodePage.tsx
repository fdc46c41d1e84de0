import { NavLink, Outlet, useParams } from 'react-router'
import { seg } from '../../api.ts'

/** A node of the tree: its hosts, strategies, alarms, screens and deploy-gate verdict, one tab each. */
export default function NodePage() {
  const path = useParams().path ?? ''
  const base = `/nodes/${seg(path)}`
  return (
    <section>
      <h1>{path}</h1>
      <nav className="tabs" aria-label="Node">
        <NavLink to={base} end>
          Hosts
        </NavLink>
        <NavLink to={`${base}/strategies`}>Strategies</NavLink>
        <NavLink to={`${base}/alarms`}>Alarms</NavLink>
        <NavLink to={`${base}/screens`}>Screens</NavLink>
        <NavLink to={`${base}/health`}>Deploy gate</NavLink>
      </nav>
      <Outlet />
    </section>
  )
}

/** The node path of the page, for the tabs. */
export const useNodePath = () => useParams().path ?? ''
