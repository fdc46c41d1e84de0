import { Route, Routes } from 'react-router'
import ScreenEditor from './ScreenEditor.tsx'
import ScreenList from './ScreenList.tsx'
import ScreenPage from './ScreenPage.tsx'
import './screens.css'

/** The Screens tab of a node: the list, a screen (its link is shareable), the editor. */
export default function NodeScreens() {
  return (
    <Routes>
      <Route index element={<ScreenList />} />
      <Route path="new" element={<ScreenEditor />} />
      <Route path=":id" element={<ScreenPage />} />
      <Route path=":id/edit" element={<ScreenEditor />} />
    </Routes>
  )
}
