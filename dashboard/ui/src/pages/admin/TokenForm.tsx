import { TokenCreate } from '@peregrine/common/api/config'
import { Field } from '../../forms/Field.tsx'
import { type Role, useSession } from '../../session.tsx'
import type { TokenCreated } from './admin-types.ts'
import { TextField } from './Field.tsx'
import { FormCard } from './FormCard.tsx'
import { grantableRoles, ROLE_MEANING } from './roles.ts'
import { useForm } from './use-form.ts'
import { scopeError, useScopedPaths } from './use-scoped-paths.ts'

type Values = { name: string; role: Role; scope: string }

/**
 * A new token. Only what the signed-in token may grant is offered: roles up to its own and
 * scopes within its own (the API would refuse the rest with 403).
 */
export function TokenForm({ onCreated, onCancel }: { onCreated(t: TokenCreated): void; onCancel(): void }) {
  const { api, me } = useSession()
  const roles = grantableRoles(me.role)
  const paths = useScopedPaths()
  const form = useForm({
    // The least a token can do is the safest default: granting more is a choice.
    initial: { name: '', role: 'viewer', scope: me.scope } as Values,
    toBody: (v) => v,
    schema: TokenCreate,
    check: (v) => {
      const outside = scopeError(v.scope, me.scope)
      return outside ? { scope: outside } : ({} as Record<string, string>)
    },
  })
  return (
    <FormCard
      title="New token"
      submitLabel="Create token"
      form={form}
      onSubmit={() => form.submit((body) => api.post<TokenCreated>('/api/v1/tokens', body).then(onCreated))}
      onCancel={onCancel}
    >
      <TextField form={form} name="name" label="Name" hint="who or what uses it" autoComplete="off" />
      <Field label="Role" error={form.error('role')}>
        {(control) => (
          <select
            {...control}
            value={form.values.role}
            onChange={(e) => form.set('role', e.target.value as Role)}
          >
            {roles.map((r) => (
              <option key={r} value={r}>
                {r} — {ROLE_MEANING[r]}
              </option>
            ))}
          </select>
        )}
      </Field>
      <TextField
        form={form}
        name="scope"
        label="Scope"
        suggestions={paths}
        hint={me.scope ? `${me.scope} or below` : 'a tree path; empty for the whole tree'}
        autoComplete="off"
      />
    </FormCard>
  )
}
