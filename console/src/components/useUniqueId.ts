// An id unique in the document for the life of the component. Not Preact's
// useId: its ids derive from the position in the tree and two dialogs
// rendered through portals were seen to get the same one, which made
// aria-labelledby name the wrong dialog.
import { useState } from "preact/hooks";

let counter = 0;

export function useUniqueId(prefix: string): string {
  const [id] = useState(() => `${prefix}-${++counter}`);
  return id;
}
