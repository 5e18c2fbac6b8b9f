// The filter bar of the logs: an expression (`service=reviews status>=500 rrt>200ms`), applied on Enter, with the
// engine's error (and where it is) shown under it. `/` focuses it from anywhere in the view.
import { useEffect, useRef, useState } from 'react';

export function FilterBar({ value, onApply, error, placeholder, testId }: { value: string; onApply: (v: string) => void; error?: string | null; placeholder: string; testId?: string }) {
  const [text, setText] = useState(value);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => setText(value), [value]);
  useEffect(() => {
    const on = (e: globalThis.KeyboardEvent): void => {
      if (e.key === '/' && document.activeElement?.tagName !== 'INPUT' && document.activeElement?.tagName !== 'TEXTAREA') {
        e.preventDefault();
        input.current?.focus();
      }
    };
    window.addEventListener('keydown', on);
    return () => window.removeEventListener('keydown', on);
  }, []);
  return (
    <form className="filterbar" onSubmit={(e) => { e.preventDefault(); onApply(text.trim()); }}>
      <input
        ref={input}
        data-testid={testId}
        value={text}
        spellCheck={false}
        placeholder={placeholder}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            setText(value);
            input.current?.blur();
          }
        }}
        aria-invalid={error ? true : undefined}
      />
      <button type="submit">Apply</button>
      {value !== '' && <button type="button" onClick={() => onApply('')}>Clear</button>}
      {error && <div className="filter-error" role="alert">{error}</div>}
    </form>
  );
}
