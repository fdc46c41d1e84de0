import { seg } from '../../api.ts'

/** The Screens tab of a node. */
export const screensUrl = (path: string) => `/nodes/${seg(path)}/screens`
