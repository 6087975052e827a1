/**
 * A glob as Hugging Face data_files patterns use it, as a RegExp over '/'-separated paths: `*` matches within
 * one path segment, `**` across segments, `?` one character, `{a,b}` alternatives.
 */
export function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      // "**/" may also match nothing, so "data/**/x" matches "data/x"
      source += pattern[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += pattern[i + 2] === '/' ? 2 : 1;
    } else if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else if (c === '{') {
      const end = pattern.indexOf('}', i);
      if (end < 0) source += '\\{';
      else {
        source += `(?:${pattern.slice(i + 1, end).split(',').map(escape).join('|')})`;
        i = end;
      }
    } else source += escape(c);
  }
  return new RegExp(`^${source}$`);
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
