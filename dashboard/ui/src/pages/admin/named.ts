import { type Api, seg } from '../../api.ts'

type Plural = 'users' | 'teams'

/**
 * What RecordsTab needs for users or teams. They belong to no subtree: listed to every token,
 * changed by whole-tree admins only, each known by its name.
 */
export const namedRecords = <T extends { name: string }>(plural: Plural, wholeTreeAdmin: boolean) => ({
  load: (api: Api, signal: AbortSignal) =>
    api.get<Record<string, T[]>>(`/api/v1/${plural}`, undefined, signal).then((r) => r[plural] ?? []),
  rowKey: (row: T) => row.name,
  describe: (row: T) => row.name,
  canCreate: wholeTreeAdmin,
  canChange: () => wholeTreeAdmin,
  deletePath: (row: T) => `/api/v1/${plural}/${seg(row.name)}`,
})

/** Creates (no revision) or updates (the revision read) a user or team: one PUT by name. */
export const saveNamed = (api: Api, plural: Plural, body: { name: string }) =>
  api.put(`/api/v1/${plural}/${seg(body.name)}`, body).then(() => undefined)
