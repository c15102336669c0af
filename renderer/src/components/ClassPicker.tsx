/** Class picker: a search box over a list grouped by the pack's class groups. */
import { useMemo, useState } from 'react';
import type { PackClassInfo } from '../../../electron/shared/api.js';

export const prettyName = (name: string) => name.replace(/_/g, ' ');

export function ClassPicker(props: { classes: PackClassInfo[]; value: number; onChange: (id: number) => void }) {
  const [query, setQuery] = useState('');
  const groups = useMemo(() => {
    const q = query.trim().toLowerCase();
    const map = new Map<string, PackClassInfo[]>();
    for (const c of props.classes) {
      const group = c.group ?? 'Classes';
      if (q && !c.name.toLowerCase().includes(q) && !group.toLowerCase().includes(q) && !prettyName(c.name).includes(q)) continue;
      map.set(group, [...(map.get(group) ?? []), c]);
    }
    return [...map.entries()];
  }, [props.classes, query]);
  return (
    <div className="class-picker">
      <label className="field-label" htmlFor="class-search">Class</label>
      <input id="class-search" type="search" placeholder="Search classes…" value={query} onChange={(e) => setQuery(e.target.value)} />
      <div className="class-list" role="listbox" aria-label="Classes">
        {groups.length === 0 && <div className="muted small">No class matches “{query}”.</div>}
        {groups.map(([group, items]) => (
          <div key={group} role="group" aria-label={group}>
            <div className="class-group">{group}</div>
            {items.map((c) => (
              <button
                key={c.id}
                role="option"
                aria-selected={c.id === props.value}
                className={`class-item ${c.id === props.value ? 'selected' : ''}`}
                data-class-id={c.id}
                onClick={() => props.onChange(c.id)}
              >
                {prettyName(c.name)}
              </button>
            ))}
          </div>
        ))}
      </div>
    </div>
  );
}
