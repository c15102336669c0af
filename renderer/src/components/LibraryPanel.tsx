/**
 * The project library as a drawer over the left of the window: search (name, class, tag or seed),
 * sort, the recent projects, a grid of project cards (thumbnail, rename inline, duplicate, delete
 * with Undo, tags added and removed on the card), a new project, import of an exported PNG, a backup. When the library file did not
 * open (damaged, locked) it shows why and the ways out instead; the file itself is never deleted.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { LibraryRecovery, LibraryStatusWire, NvgApi, OpenedProjectWire, ProjectListQuery, ProjectWire } from '../../../electron/shared/api.js';
import { errorInfo } from '../errors.js';
import { pngUrl } from '../pixels.js';

export interface Toast {
  message: string;
  action?: { label: string; run: () => void };
}

export function LibraryPanel(props: {
  api: NvgApi;
  open: boolean;
  /** Changes whenever the library changed elsewhere (autosave, import): the list reloads. */
  version: number;
  currentProjectId: number | null;
  status: LibraryStatusWire | null;
  onStatus: (s: LibraryStatusWire) => void;
  onClose: () => void;
  onOpened: (p: OpenedProjectWire) => void;
  onDeleted: (id: number) => void;
  onRenamed: (id: number, name: string) => void;
  onImport: (file: File) => void;
  onToast: (t: Toast) => void;
  onError: (message: string) => void;
}) {
  const { api, onError, onToast } = props;
  const [query, setQuery] = useState('');
  const [sort, setSort] = useState<NonNullable<ProjectListQuery['sort']>>('updated');
  const [pages, setPages] = useState(1);
  const [projects, setProjects] = useState<ProjectWire[]>([]);
  const [hasMore, setHasMore] = useState(false);
  const [recent, setRecent] = useState<ProjectWire[]>([]);
  const [renaming, setRenaming] = useState<number | null>(null);
  const [bump, setBump] = useState(0);
  const fileRef = useRef<HTMLInputElement>(null);
  const renameCancelled = useRef(false);
  const ok = props.status?.ok ?? false;

  const reload = useCallback(() => setBump((b) => b + 1), []);

  useEffect(() => {
    if (!props.open || !ok) return;
    let live = true;
    const t = setTimeout(async () => {
      try {
        const all: ProjectWire[] = [];
        let more = false;
        for (let page = 0; page < pages; page++) {
          const r = await api.listProjects({ query: query.trim() || undefined, sort, page });
          all.push(...r.projects);
          more = r.hasMore;
          if (!more) break;
        }
        const rec = await api.recentProjects();
        if (!live) return;
        setProjects(all);
        setHasMore(more);
        setRecent(rec);
      } catch (err) {
        if (live) onError(errorInfo(err).message);
      }
    }, query ? 150 : 0);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [api, props.open, ok, query, sort, pages, props.version, bump, onError]);

  const act = async (f: () => Promise<unknown>) => {
    try {
      await f();
    } catch (err) {
      onError(errorInfo(err).message);
    }
    reload();
  };

  const open = (id: number) => act(async () => props.onOpened(await api.openProject(id)));
  const remove = (p: ProjectWire) => act(async () => {
    await api.deleteProject(p.id);
    props.onDeleted(p.id);
    onToast({
      message: `Deleted “${p.name}”.`,
      action: { label: 'Undo', run: () => void act(() => api.restoreProject(p.id)) },
    });
  });
  // Tags: the whole list is sent each time (setTags replaces it), so a stale card cannot merge.
  const setTags = (p: ProjectWire, tags: string[]) => act(() => api.setTags(p.id, tags));
  const addTag = (p: ProjectWire, raw: string) => {
    const t = raw.trim();
    if (t && !p.tags.some((x) => x.toLowerCase() === t.toLowerCase())) void setTags(p, [...p.tags, t]);
  };
  const recover = (how: LibraryRecovery) => act(async () => props.onStatus(await api.recoverLibrary(how)));

  if (!props.open) return null;
  const st = props.status;
  return (
    <aside className="library-drawer" aria-label="Library" data-testid="library">
      <div className="library-head">
        <h2>Library</h2>
        <button className="link" onClick={props.onClose} aria-label="Close the library">×</button>
      </div>
      {st && !st.ok ? (
        <div className="library-broken" role="alert" data-testid="library-error" data-code={st.error?.code}>
          <p><strong>The project library could not be opened.</strong></p>
          <p className="small">{st.error?.message}</p>
          <p className="small muted">The file was left as it is. Generating still works, but nothing is saved until a library is open.</p>
          <div className="row wrap">
            <button onClick={() => void recover({ kind: 'new' })} data-testid="library-new">Start a new library</button>
            {st.backups.slice(0, 3).map((b) => (
              <button key={b} onClick={() => void recover({ kind: 'backup', name: b })} title={b}>Open backup {b.replace(/^.*?-(\d{4}-\d\d-\d\d)T(\d\d)-(\d\d).*$/, '$1 $2:$3')}</button>
            ))}
            <button onClick={() => void recover({ kind: 'retry' })}>Try again</button>
          </div>
        </div>
      ) : (
        <>
          <div className="row">
            <input id="library-search" type="search" placeholder="Search name, class, tag or seed…" value={query} onChange={(e) => { setQuery(e.target.value); setPages(1); }} aria-label="Search projects" />
            <select id="library-sort" value={sort} onChange={(e) => setSort(e.target.value as typeof sort)} aria-label="Sort projects">
              <option value="updated">Last changed</option>
              <option value="created">Created</option>
              <option value="name">Name</option>
            </select>
          </div>
          <div className="row wrap">
            <button id="new-project" onClick={() => void act(async () => props.onOpened(await api.createProject()))}>New project</button>
            <button id="import-png" onClick={() => fileRef.current?.click()} title="Restore a project from a PNG exported by NVG Studio (or drop it on the window)">Import PNG…</button>
            <input ref={fileRef} type="file" accept="image/png" hidden data-testid="import-input" onChange={(e) => { const f = e.target.files?.[0]; if (f) props.onImport(f); e.target.value = ''; }} />
            <button onClick={() => void act(async () => onToast({ message: `Backed up to ${(await api.backup()).path}` }))}>Back up</button>
          </div>
          {recent.length > 0 && !query && (
            <div className="recent">
              <div className="field-label">Recent</div>
              <div className="recent-list">
                {recent.map((p) => (
                  <button key={p.id} className={`recent-item ${p.id === props.currentProjectId ? 'current' : ''}`} onClick={() => void open(p.id)} data-recent-id={p.id}>{p.name}</button>
                ))}
              </div>
            </div>
          )}
          <div className="field-label">{query ? `Projects matching “${query}”` : 'All projects'}</div>
          {projects.length === 0 && <div className="muted small">{query ? 'No project matches.' : 'No projects yet: generate an image and it is saved here.'}</div>}
          <div className="project-grid">
            {projects.map((p) => (
              <div key={p.id} className={`project-card ${p.id === props.currentProjectId ? 'current' : ''}`} data-project-id={p.id} data-name={p.name}>
                <button className="project-thumb" onClick={() => void open(p.id)} aria-label={`Open ${p.name}`}>
                  {p.thumbnail ? <img src={pngUrl(p.thumbnail)} alt="" className="pixel" /> : <span className="muted small">empty</span>}
                </button>
                {renaming === p.id ? (
                  <input
                    className="rename-input" defaultValue={p.name} autoFocus aria-label="New name" maxLength={200}
                    onKeyDown={(e) => {
                      if (e.key === 'Escape') {
                        renameCancelled.current = true;
                        (e.target as HTMLInputElement).blur();
                      }
                      if (e.key === 'Enter') (e.target as HTMLInputElement).blur();
                    }}
                    onBlur={(e) => {
                      const name = e.target.value.trim();
                      const cancelled = renameCancelled.current;
                      renameCancelled.current = false;
                      setRenaming(null);
                      if (!cancelled && name && name !== p.name) void act(async () => props.onRenamed(p.id, (await api.renameProject(p.id, name)).name));
                    }}
                  />
                ) : (
                  <div className="project-name" title={p.name} onDoubleClick={() => setRenaming(p.id)}>{p.name}</div>
                )}
                <div className="project-tags row wrap" data-testid="project-tags">
                  {p.tags.map((t) => (
                    <span key={t} className="tag small" data-tag={t}>
                      <button className="link" onClick={() => { setQuery(t); setPages(1); }} title={`Projects tagged “${t}”`}>{t}</button>
                      <button className="link" onClick={() => void setTags(p, p.tags.filter((x) => x !== t))} aria-label={`Remove tag ${t}`} data-action="remove-tag">×</button>
                    </span>
                  ))}
                  <input
                    className="tag-input small" placeholder="+ tag" maxLength={100} aria-label={`Add a tag to ${p.name}`} data-action="add-tag"
                    onKeyDown={(e) => {
                      const input = e.target as HTMLInputElement;
                      if (e.key === 'Enter') { addTag(p, input.value); input.value = ''; }
                      if (e.key === 'Escape') input.value = '';
                    }}
                  />
                </div>
                <div className="muted small">{p.recordCount} image{p.recordCount === 1 ? '' : 's'} · {new Date(p.updated).toLocaleDateString()}</div>
                <div className="project-actions">
                  <button className="small-btn" onClick={() => { renameCancelled.current = false; setRenaming(p.id); }} data-action="rename">Rename</button>
                  <button className="small-btn" onClick={() => void act(() => api.duplicateProject(p.id))} data-action="duplicate">Duplicate</button>
                  <button className="small-btn danger-text" onClick={() => void remove(p)} data-action="delete">Delete</button>
                </div>
              </div>
            ))}
          </div>
          {hasMore && <button onClick={() => setPages((n) => n + 1)}>Show more</button>}
        </>
      )}
    </aside>
  );
}
