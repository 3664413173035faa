/**
 * Checks on parsed JSON that must not themselves blow the stack: hostile bodies can nest
 * 100 000 levels deep, so depth is measured with an explicit work list, not recursion.
 */
export function exceedsDepth(value: unknown, maxDepth: number): boolean {
  const pending: Array<{ node: unknown; depth: number }> = [{ node: value, depth: 0 }];

  while (pending.length > 0) {
    const { node, depth } = pending.pop()!;
    if (typeof node !== 'object' || node === null) {
      continue;
    }
    if (depth + 1 > maxDepth) {
      return true;
    }
    for (const child of Object.values(node)) {
      pending.push({ node: child, depth: depth + 1 });
    }
  }
  return false;
}

/** True when every number in the value is finite (JSON.parse turns `1e999` into Infinity). */
export function allNumbersFinite(value: unknown): boolean {
  const pending: unknown[] = [value];

  while (pending.length > 0) {
    const node = pending.pop();
    if (typeof node === 'number' && !Number.isFinite(node)) {
      return false;
    }
    if (typeof node === 'object' && node !== null) {
      // One push per child: spreading a 400 000-element array into push() overflows the stack.
      for (const child of Object.values(node)) {
        pending.push(child);
      }
    }
  }
  return true;
}

/**
 * Counts bracket nesting in raw JSON text without parsing it, skipping string contents. Used
 * before JSON.parse so a pathological body is refused cheaply.
 */
export function rawJsonDepthExceeds(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;

  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (inString) {
      if (char === 0x5c) {
        i++;
      } else if (char === 0x22) {
        inString = false;
      }
      continue;
    }
    if (char === 0x22) {
      inString = true;
    } else if (char === 0x7b || char === 0x5b) {
      depth++;
      if (depth > maxDepth) {
        return true;
      }
    } else if (char === 0x7d || char === 0x5d) {
      depth--;
    }
  }
  return false;
}
