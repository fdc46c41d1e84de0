import { useState } from 'react'
import { seg } from '../../api.ts'
import { ErrorNote } from '../../ErrorNote.tsx'
import { useSession } from '../../session.tsx'
import { useApi } from '../../use-api.ts'
import type { TokenCreated, TokenView } from './admin-types.ts'
import { ConfirmButton } from './ConfirmButton.tsx'
import { NewToken } from './NewToken.tsx'
import { TokenForm } from './TokenForm.tsx'

/**
 * API tokens within the signed-in admin's scope (never a secret: the API keeps only hashes).
 * Revoking takes effect at the token's next request.
 */
export default function TokensTab() {
  const { api, me } = useSession()
  const list = useApi((a, signal) => a.get<{ tokens: TokenView[] }>('/api/v1/tokens', undefined, signal), [])
  const [step, setStep] = useState<'list' | 'form' | { created: TokenCreated }>('list')
  const tokens = [...(list.data?.tokens ?? [])].sort((a, b) => b.createdAt - a.createdAt)
  return (
    <div className="stack">
      {step === 'list' && (
        <div>
          <button type="button" className="primary" onClick={() => setStep('form')}>
            New token
          </button>
        </div>
      )}
      {step === 'form' && (
        <TokenForm
          onCreated={(created) => {
            setStep({ created })
            list.reload()
          }}
          onCancel={() => setStep('list')}
        />
      )}
      {typeof step === 'object' && <NewToken token={step.created} onDone={() => setStep('list')} />}
      <ErrorNote error={list.error} />
      <table aria-label="Tokens">
        <thead>
          <tr>
            <th>Name</th>
            <th>Role</th>
            <th>Scope</th>
            <th>Created</th>
            <th>By</th>
            <th>Id</th>
            <th>Actions</th>
          </tr>
        </thead>
        <tbody>
          {tokens.map((t) => {
            const mine = t.id === me.tokenId
            return (
              <tr key={t.id}>
                <td>
                  {t.name}
                  {mine && <span className="muted"> (this session)</span>}
                </td>
                <td>{t.role}</td>
                <td>{t.scope || <span className="muted">whole tree</span>}</td>
                <td>{new Date(t.createdAt).toLocaleString()}</td>
                <td>{t.createdBy}</td>
                <td>
                  <code>{t.id}</code>
                </td>
                <td className="actions">
                  <ConfirmButton
                    label="Revoke"
                    name={`Revoke token ${t.name} (${t.id})`}
                    question={
                      mine
                        ? `Revoke ${t.name}, the token of this session? You will be signed out.`
                        : `Revoke ${t.name}? Whoever uses it is refused from their next request.`
                    }
                    action={() => api.delete(`/api/v1/tokens/${seg(t.id)}`)}
                    onSettled={list.reload}
                  />
                </td>
              </tr>
            )
          })}
        </tbody>
      </table>
    </div>
  )
}
