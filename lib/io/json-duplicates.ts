// JSON.parse keeps the last of two equal keys without a word; a safetensors header with a tensor
// named twice is ambiguous (which bytes are "w"?) and must be refused. This scan runs on text
// JSON.parse has already accepted, so it only has to track strings, nesting and key position.
// It is a loop, not a recursion, so deeply nested hostile input cannot overflow the stack.

export interface DuplicateKey {
  key: string;
  /** The top-level key the duplicate sits under, or null when the duplicate is a top-level key. */
  parent: string | null;
}

export function findDuplicateKey(text: string): DuplicateKey | null {
  // One entry per open container: the keys an object has seen so far, or null for an array.
  const open: (Set<string> | null)[] = [];
  let expectKey = false;
  let topKey: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const keys = open[open.length - 1];
      if (keys && expectKey) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (keys.has(key)) return { key, parent: open.length === 1 ? null : topKey };
        keys.add(key);
        if (open.length === 1) topKey = key;
        expectKey = false;
      }
      i = j;
    } else if (c === '{') {
      open.push(new Set());
      expectKey = true;
    } else if (c === '[') {
      open.push(null);
      expectKey = false;
    } else if (c === '}' || c === ']') {
      open.pop();
      expectKey = false;
    } else if (c === ',') {
      expectKey = open[open.length - 1] != null;
    }
  }
  return null;
}
