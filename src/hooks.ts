/**
 * Hook lists, as torch.utils.hooks: a hook is kept in a list in registration order, and
 * `register…Hook` returns a RemovableHandle whose `remove()` takes it out again (PyTorch's
 * `handle.remove()`). Shared by Tensor.registerHook (src/tensor.ts) and the module hooks
 * (src/nn/module.ts); no import of either, so both may import it.
 */

/** What `register…Hook` returns: `handle.remove()` unregisters the hook (a second call does nothing). */
export class RemovableHandle {
  private list: unknown[] | null;
  private readonly hook: unknown;
  private readonly onEmpty: (() => void) | undefined;

  /** @internal */
  constructor(list: unknown[], hook: unknown, onEmpty?: () => void) {
    this.list = list;
    this.hook = hook;
    this.onEmpty = onEmpty;
  }

  /** Unregister the hook. */
  remove(): void {
    const list = this.list;
    if (list === null) return;
    this.list = null;
    const i = list.indexOf(this.hook);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.onEmpty?.();
  }
}

/** Add `hook` (a function, else an error naming `where`) to `list`; the handle removes it. */
export function addHook<H>(where: string, list: H[], hook: H, onEmpty?: () => void): RemovableHandle {
  if (typeof hook !== 'function') throw new Error(`${where}: the hook must be a function, got ${hook === null ? 'null' : typeof hook}`);
  // A wrapper object per registration, so the same function registered twice is removed once per handle.
  const entry = ((...args: unknown[]) => (hook as (...a: unknown[]) => unknown)(...args)) as H;
  list.push(entry);
  return new RemovableHandle(list as unknown[], entry, onEmpty);
}
