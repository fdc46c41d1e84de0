import { randomBytes } from 'node:crypto'
import { type ConfigStore, ConflictError, type Tree, type TreeDoc, type TreeNode } from '@peregrine/common'
import { HttpError } from '../auth.ts'

/** Node ids are stable: paths change on rename/move, ids never do. */
export const newNodeId = () => `n_${randomBytes(6).toString('hex')}`

/**
 * Applies `change` to the tree document with compare-and-set. A concurrent change to another part
 * of the tree makes the write fail; it is re-read and retried, so only a real conflict on the
 * same node (its version, checked by `change`) reaches the caller.
 */
export async function mutateTree<R>(
  config: ConfigStore,
  change: (tree: Tree) => { nodes: TreeNode[]; result: R },
): Promise<R> {
  for (let attempt = 0; ; attempt++) {
    const { tree, revision } = await config.tree()
    const { nodes, result } = change(tree)
    try {
      await config.saveTree({ nodes } satisfies TreeDoc, revision)
      return result
    } catch (err) {
      if (!(err instanceof ConflictError) || attempt >= 10) throw err
    }
  }
}

export function nodeAt(tree: Tree, path: string): TreeNode {
  const node = tree.byPath.get(path)
  if (!node) throw new HttpError(404, `no tree node ${path}`)
  return node
}

export function checkVersion(node: TreeNode, version: number, path: string): void {
  if (node.version !== version)
    throw new HttpError(409, `tree node ${path} is at version ${node.version}, not ${version}: re-read it`)
}

/** Parent path and own name of a path. */
export function splitPath(path: string): { parent: string | null; name: string } {
  const i = path.lastIndexOf('.')
  return i < 0 ? { parent: null, name: path } : { parent: path.slice(0, i), name: path.slice(i + 1) }
}

/** The node as the API shows it: with its path. */
export function nodeView(tree: Tree, n: TreeNode) {
  return { ...n, path: tree.path(n.id) ?? '' }
}
