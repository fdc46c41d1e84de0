import { ROLES } from '@peregrine/common/model/access'
import { allows, type Role } from '../../session.tsx'

/** The roles a token of role `own` may grant: its own and those below, highest first. */
export const grantableRoles = (own: Role): Role[] => ROLES.filter((r) => allows(own, r))

/** What each role adds, for the token form (docs/tree-and-strategies.md#access). */
export const ROLE_MEANING: Record<Role, string> = {
  viewer: 'reads its scope',
  deployer: 'also silences and acknowledges',
  editor: 'also edits nodes, host bindings and strategies',
  admin: 'also subscriptions and tokens',
}
