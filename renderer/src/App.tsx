/**
 * NVG Studio's window: pack and class on the left, the stages of the current image in the middle
 * (a large view of the selected stage over a live strip of all stages, variations beneath), and on
 * the right the stage layers, the structure editor and the reference image.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { EncodedReferenceWire, GenerateResultWire, LibraryStatusWire, NvgApi, OpenedProjectWire, PackInfo, StagePinWire } from '../../electron/shared/api.js';
import { ClassPicker, prettyName } from './components/ClassPicker.js';
import { LibraryPanel, type Toast } from './components/LibraryPanel.js';
import { LayersPanel } from './components/LayersPanel.js';
import { PixelCanvas } from './components/PixelCanvas.js';
import { ReferencePanel } from './components/ReferencePanel.js';
import { StageStrip } from './components/StageStrip.js';
import { StructureEditor, type EditorHandle } from './components/StructureEditor.js';
import { buildPins, describeLayer, freeLayers, layerSources, pinBelow, randomSeed, stageFromProgress, type Layer, type StageData } from './model.js';
import { errorInfo } from './errors.js';
import { download, labelsToImageData, pngUrl, rgbaToTensor, tensorToImageData } from './pixels.js';

type Tab = 'layers' | 'draw' | 'reference';
type Status = 'loading' | 'idle' | 'running' | 'done' | 'cancelled' | 'error';

const isTyping = (t: EventTarget | null) => t instanceof HTMLElement && (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName)) && (t as HTMLInputElement).type !== 'range' && (t as HTMLInputElement).type !== 'checkbox';

export function App({ api }: { api: NvgApi }) {
  const [packs, setPacks] = useState<{ dir: string; name: string }[]>([]);
  const [pack, setPack] = useState<PackInfo | null>(null);
  const [classId, setClassId] = useState(0);
  const [seed, setSeed] = useState(() => randomSeed());
  const [count, setCount] = useState(1);
  const [status, setStatus] = useState<Status>('loading');
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [stages, setStages] = useState<(StageData | null)[]>([]);
  const [result, setResult] = useState<GenerateResultWire | null>(null);
  const [resultStages, setResultStages] = useState<(StageData | null)[]>([]);
  const [image, setImage] = useState(0);
  const [selected, setSelected] = useState(0);
  const [layers, setLayers] = useState<Layer[]>([]);
  const [tab, setTab] = useState<Tab>('layers');
  const [editorStage, setEditorStage] = useState(1);
  const [lastTiming, setLastTiming] = useState<string>('');
  // The project library: the current project (autosave goes there), its history, and the
  // library records of the images shown (recordIds[b] for image b of the result).
  const [libOpen, setLibOpen] = useState(false);
  const [libStatus, setLibStatus] = useState<LibraryStatusWire | null>(null);
  const [libVersion, setLibVersion] = useState(0);
  const [project, setProject] = useState<{ id: number; name: string } | null>(null);
  const [history, setHistory] = useState<OpenedProjectWire['records']>([]);
  const [recordIds, setRecordIds] = useState<number[] | null>(null);
  const [pinsFrom, setPinsFrom] = useState<number | null>(null);
  const [toast, setToast] = useState<Toast | null>(null);
  const [exportSize, setExportSize] = useState<1 | 4 | 8>(4);
  const [exportSmooth, setExportSmooth] = useState(false);
  const jobRef = useRef<string | null>(null);
  /** Bumped by every run and record load: a stale replay's previews are dropped. */
  const viewSeq = useRef(0);
  const editorRef = useRef<EditorHandle>(null);

  const K = pack?.dims.K ?? 0;

  const adoptPack = useCallback((info: PackInfo) => {
    setPack(info);
    setLayers(freeLayers(info.dims.K));
    setStages(new Array(info.dims.K + 1).fill(null));
    setResult(null);
    setResultStages([]);
    setClassId((c) => (c < info.classes.length ? c : 0));
    setSelected(info.dims.K);
    setEditorStage(1);
    setStatus('idle');
  }, []);

  useEffect(() => {
    api.libraryStatus().then((st) => {
      setLibStatus(st);
      if (!st.ok) setLibOpen(true); // show why, with the ways out
    }, (err) => setError(errorInfo(err).message));
  }, [api]);

  useEffect(() => {
    if (!toast) return;
    const t = setTimeout(() => setToast(null), toast.action ? 10_000 : 6_000);
    return () => clearTimeout(t);
  }, [toast]);

  useEffect(() => {
    (async () => {
      try {
        setPacks(await api.listPacks());
        const info = await api.currentPack();
        if (info) adoptPack(info);
        else {
          setStatus('idle');
          setError('No model pack is open. Pick one in the Pack menu.');
        }
      } catch (err) {
        setStatus('error');
        setError(`Could not open the model pack: ${errorInfo(err).message}`);
      }
    })();
  }, [api, adoptPack]);

  const switchPack = async (dir: string) => {
    setStatus('loading');
    try {
      adoptPack(await api.openPack(dir));
    } catch (err) {
      setStatus('error');
      setError(`Could not open that pack: ${errorInfo(err).message}`);
    }
  };

  const run = useCallback(async (opts: { layers?: Layer[]; seed?: number; count?: number } = {}) => {
    if (!pack || jobRef.current) return;
    const useLayers = opts.layers ?? layers;
    const useSeed = opts.seed ?? seed;
    const useCount = opts.count ?? count;
    const live: (StageData | null)[] = new Array(pack.dims.K + 1).fill(null);
    viewSeq.current++;
    setStages(live.slice());
    setStatus('running');
    setError(null);
    setNotice(null);
    setImage(0);
    const parent = pinsFrom !== null && useLayers.some((l) => l.source === 'pinned') ? pinsFrom : undefined;
    const job = api.generate({ classId, seed: useSeed, count: useCount, pins: buildPins(useLayers), sources: layerSources(useLayers), previews: true, ...(parent ? { parentRecordId: parent } : {}) }, (e) => {
      live[e.stage] = stageFromProgress(e);
      setStages(live.slice());
    });
    jobRef.current = job.jobId;
    try {
      const r = await job.result;
      setResult(r);
      setResultStages(live.slice());
      setStatus('done');
      setLastTiming(`${useCount} image${useCount > 1 ? 's' : ''} in ${(r.timings.totalMs / 1000).toFixed(2)} s`);
      const saved = r.saved;
      if (saved && 'recordIds' in saved) {
        setRecordIds(saved.recordIds);
        setProject({ id: saved.projectId, name: saved.projectName });
        void refreshHistory(saved.projectId);
      } else {
        setRecordIds(null);
        if (saved) setNotice(`This result was not saved to the library: ${saved.error.message}`);
      }
    } catch (err) {
      const e = errorInfo(err);
      if (e.code === 'CANCELLED') {
        setStatus('cancelled');
        setNotice('Generation cancelled.');
        setStages(resultStages.length ? resultStages : live.slice());
      } else {
        setStatus('error');
        setError(e.message);
      }
    } finally {
      jobRef.current = null;
    }
  }, [api, pack, layers, seed, count, classId, resultStages, pinsFrom]);

  /** The project's records again (after autosave); openProject also makes it the current project. */
  async function refreshHistory(projectId: number) {
    try {
      const p = await api.openProject(projectId);
      setHistory(p.records);
      setProject({ id: p.project.id, name: p.project.name });
      setLibVersion((v) => v + 1);
    } catch (err) {
      setError(errorInfo(err).message);
    }
  }

  /** A library record into the stage strip: its stages (structure + tokens) and final image, its class and seed. */
  const loadRecord = useCallback(async (id: number) => {
    if (!pack || jobRef.current) return;
    try {
      const rec = await api.getRecord(id);
      const v = rec.vgs;
      const Kr = v.stages.length - 1;
      if (Kr !== pack.dims.K || rec.image.width !== pack.dims.imageSize) {
        setError(`Record ${id} was made with the pack “${v.pack.name}” (${Kr + 1} stages, ${rec.image.width} px); open that pack to use it.`);
        return;
      }
      const labels = v.stages.map((st) => Int32Array.from(st.labels));
      const tokens = v.stages.map((st) => Int32Array.from(st.tokens));
      const images = rgbaToTensor(rec.image.data, rec.image.width);
      const r: GenerateResultWire = { classId: v.classId, seed: v.seed, count: 1, params: v.params, labels: [labels], tokens: [tokens], images, timings: { totalMs: 0, modelMs: 0, typescriptMs: 0 } };
      const st: StageData[] = labels.map((l, k) => ({ labels: [l], tokens: [tokens[k]], ...(k === Kr ? { previews: images } : {}) }));
      setResult(r);
      setResultStages(st);
      setStages(st);
      setImage(0);
      setSelected(Kr);
      setRecordIds([id]);
      setClassId(v.classId);
      setSeed(v.seed);
      setStatus('done');
      setError(null);
      setLastTiming(`Record ${id} · seed ${v.seed}`);
      setNotice(v.pack.manifestSha256 !== pack.manifestSha256 ? `Made with the pack “${v.pack.name}”, not the open one: pinned stages may not reproduce it.` : null);
      void api.selectRecord(rec.summary.projectId, id).catch(() => undefined);
      // The library keeps the final image only: replaying the record with every stage pinned
      // (exact, not saved again) fills in the stage previews.
      const seq = ++viewSeq.current;
      const pins: Record<string, StagePinWire> = {};
      v.stages.forEach((s, k) => (pins[k] = { labels: s.labels, tokens: s.tokens }));
      const replay = api.generate({ classId: v.classId, seed: v.seed, count: 1, params: v.params, pins, previews: true, autosave: false }, (e) => {
        if (viewSeq.current !== seq || e.stage >= Kr || !e.previews) return;
        st[e.stage] = { ...st[e.stage], previews: e.previews };
        setStages(st.slice());
        setResultStages(st.slice());
      });
      replay.result.catch(() => undefined);
    } catch (err) {
      setError(errorInfo(err).message);
    }
  }, [api, pack]);

  const adoptOpened = useCallback((p: OpenedProjectWire) => {
    setProject({ id: p.project.id, name: p.project.name });
    setHistory(p.records);
    setRecordIds(null);
    if (p.selected !== null) void loadRecord(p.selected);
  }, [loadRecord]);

  const importFile = useCallback(async (file: File) => {
    try {
      const p = await api.importPng(new Uint8Array(await file.arrayBuffer()));
      adoptOpened(p);
      setLibVersion((v) => v + 1);
      setToast({ message: `Restored “${p.project.name}” from ${file.name}.` });
    } catch (err) {
      setError(`Could not restore ${file.name}: ${errorInfo(err).message}`);
    }
  }, [api, adoptOpened]);

  // Dropping an exported PNG anywhere on the window (outside the reference drop zone) restores it.
  useEffect(() => {
    const over = (e: DragEvent) => {
      if (e.dataTransfer?.types.includes('Files')) e.preventDefault();
    };
    const drop = (e: DragEvent) => {
      if (e.defaultPrevented || !e.dataTransfer?.files.length) return;
      e.preventDefault();
      const f = e.dataTransfer.files[0];
      if (f.type === 'image/png' || /\.png$/i.test(f.name)) void importFile(f);
      else setNotice('Drop a PNG exported by NVG Studio to restore its project.');
    };
    window.addEventListener('dragover', over);
    window.addEventListener('drop', drop);
    return () => {
      window.removeEventListener('dragover', over);
      window.removeEventListener('drop', drop);
    };
  }, [importFile]);

  const shownRecord = recordIds?.[image] ?? null;

  /** 'image': the PNG with its recipe; 'maps': the record's structure bundle; 'branch': the bundle of every image made from it. */
  const exportShown = async (what: 'image' | 'maps' | 'branch') => {
    if (shownRecord === null) return;
    const options = { size: exportSize, smooth: exportSmooth };
    try {
      const files = what === 'image' ? [await api.exportRecord(shownRecord, options)]
        : what === 'maps' ? await api.exportMaps(shownRecord, options) : await api.exportBranch(shownRecord, options);
      for (const f of files) if (f.bytes) download(f.fileName, f.bytes, /\.zip$/.test(f.fileName) ? 'application/zip' : 'image/png');
      const f = files[0];
      const many = what !== 'image';
      setToast({
        message: f.cancelled ? 'Export cancelled.'
          : f.savedTo ? (many ? `Saved ${files.length} files into ${f.savedTo.replace(/[\\/][^\\/]*$/, '')}` : `Saved ${f.savedTo}`)
          : many ? `Exported ${f.fileName} (maps, masks, labels and contact sheet).` : `Exported ${f.fileName} (recipe included).`,
      });
    } catch (err) {
      setError(errorInfo(err).message);
    }
  };

  const cancel = useCallback(() => {
    if (jobRef.current) void api.cancel(jobRef.current).catch((err) => setError(errorInfo(err).message));
  }, [api]);

  const newSeedAndRun = (l?: Layer[], c?: number) => {
    const s = randomSeed();
    setSeed(s);
    void run({ layers: l, seed: s, count: c });
  };

  const variations = () => newSeedAndRun(undefined, Math.max(4, count));

  const pinFromResult = (k: number, content: boolean) => {
    if (!result) return;
    setPinsFrom(shownRecord);
    setLayers((ls) => ls.map((l, s) => (s === k ? { source: 'pinned', labels: result.labels[image][k], tokens: result.tokens[image][k], pinContent: content } : l)));
  };

  const regenerateFrom = (k: number) => {
    if (!result) return;
    const next = pinBelow(result, image, k, K);
    setPinsFrom(shownRecord);
    setLayers(next);
    newSeedAndRun(next);
  };

  const useReference = (enc: EncodedReferenceWire, upTo: number, withContent: boolean) => {
    setLayers((ls) => ls.map((l, k) => (k >= 1 && k <= upTo ? { source: 'reference', labels: enc.labels[k], tokens: enc.tokens[k], pinContent: withContent } : k === 0 && withContent ? { source: 'reference', labels: enc.labels[0], tokens: enc.tokens[0], pinContent: true } : l)));
    setNotice(`Stages 1–${upTo} now take the reference's structure${withContent ? ' and content' : ''}. Generate to use them.`);
    setTab('layers');
  };

  const applyDrawn = (k: number, labels: Int32Array, source: 'drawn' | 'imported', generate: boolean) => {
    // A drawn stage fixes its own regions (and so every coarser one); finer stages stay free.
    const next = layers.map((l, s) => (s === k ? { source, labels, tokens: null, pinContent: false } : s > k ? { ...l, source: 'generate' as const, labels: null, tokens: null, pinContent: false } : l));
    setLayers(next);
    setNotice(`Stage ${k} uses your ${source === 'drawn' ? 'drawing' : 'mask'}.`);
    if (generate) void run({ layers: next });
  };

  /** The stage k-1 regions the editor splits: a fixed layer, else the shown result, else one region. */
  const editorParents = useMemo(() => {
    const T = pack ? pack.dims.T : 0;
    const k = editorStage - 1;
    if (k <= 0 || !pack) return new Int32Array(T);
    const l = layers[k];
    if (l?.labels) return l.labels;
    const fromResult = result?.labels[image]?.[k];
    return fromResult ?? new Int32Array(T);
  }, [pack, editorStage, layers, result, image]);

  // Keyboard shortcuts.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const mod = e.ctrlKey || e.metaKey;
      if (mod && e.key === 'Enter') {
        e.preventDefault();
        void run();
        return;
      }
      if (mod && (e.key === 'z' || e.key === 'Z') && tab === 'draw') {
        if (isTyping(e.target)) return;
        e.preventDefault();
        if (e.shiftKey) editorRef.current?.redo();
        else editorRef.current?.undo();
        return;
      }
      if (mod || e.altKey || isTyping(e.target)) return;
      if (e.key === 'b' || e.key === 'B') { setTab('draw'); editorRef.current?.setTool('brush'); }
      else if (e.key === 'e' || e.key === 'E') { setTab('draw'); editorRef.current?.setTool('eraser'); }
      else if (e.key === '[') setSelected((s) => Math.max(0, s - 1));
      else if (e.key === ']') setSelected((s) => Math.min(K, s + 1));
      else if (e.key === 'Escape' && jobRef.current) cancel();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [run, cancel, tab, K]);

  if (!pack) {
    return (
      <div className="app loading" data-status={status}>
        <header className="topbar"><div className="brand">NVG Studio</div></header>
        <main className="center-message">
          {error ? <div className="error-banner" role="alert">{error}</div> : <div className="spinner-row"><span className="spinner" /> Loading the model pack…</div>}
          {packs.length > 0 && error && (
            <select aria-label="Pack" onChange={(e) => void switchPack(e.target.value)} defaultValue="">
              <option value="" disabled>Choose a pack…</option>
              {packs.map((p) => <option key={p.dir} value={p.dir}>{p.name}</option>)}
            </select>
          )}
        </main>
      </div>
    );
  }

  const { h, w, imageSize } = pack.dims;
  const sel = stages[selected];
  const running = status === 'running';
  const done = stages.filter(Boolean).length;
  const cls = pack.classes.find((c) => c.id === classId);
  const provider = pack.provider;

  return (
    <div className="app" data-status={status}>
      <header className="topbar">
        <div className="brand">NVG Studio</div>
        <button id="library-toggle" className={libOpen ? 'active' : ''} aria-pressed={libOpen} onClick={() => setLibOpen((o) => !o)}>
          Library{libStatus && !libStatus.ok ? ' ⚠' : ''}
        </button>
        <span className="project-label muted" data-testid="project-name" title="The current project: every generation is saved here">
          {project ? project.name : libStatus?.ok ? 'New project on first generation' : 'Not saving (no library)'}
        </span>
        <div className="topbar-group">
          <label htmlFor="pack-select" className="field-label">Pack</label>
          <select id="pack-select" value={pack.dir} onChange={(e) => void switchPack(e.target.value)} disabled={running}>
            {packs.map((p) => <option key={p.dir} value={p.dir}>{p.name}</option>)}
          </select>
          <span className={`badge ${provider.fallbackReason ? 'warn' : ''}`} title={provider.fallbackReason ?? `Runs on ${provider.provider.toUpperCase()}`} data-testid="provider">
            {provider.provider.toUpperCase()}
          </span>
          {provider.fallbackReason && <span className="muted small fallback" title={provider.fallbackReason}>{provider.fallbackReason}</span>}
        </div>
        <div className="topbar-status" role="status" aria-live="polite">
          {running ? `Generating… stage ${Math.max(0, done - 1)} of ${K}` : status === 'done' ? lastTiming : status === 'cancelled' ? 'Cancelled' : 'Ready'}
        </div>
      </header>
      {error && (
        <div className="error-banner" role="alert">
          <span>{error}</span>
          <button className="link" onClick={() => setError(null)} aria-label="Dismiss the error">Dismiss</button>
        </div>
      )}
      {notice && !error && (
        <div className="notice-banner" role="status">
          <span>{notice}</span>
          <button className="link" onClick={() => setNotice(null)} aria-label="Dismiss">×</button>
        </div>
      )}
      <div className="workspace">
        <aside className="sidebar left" aria-label="Generation settings">
          <ClassPicker classes={pack.classes} value={classId} onChange={setClassId} />
          <div className="field">
            <label className="field-label" htmlFor="seed">Seed</label>
            <div className="row">
              <input id="seed" type="number" min={0} value={seed} onChange={(e) => setSeed(Math.max(0, Math.floor(Number(e.target.value) || 0)))} />
              <button className="icon-btn" onClick={() => setSeed(randomSeed())} aria-label="Random seed" title="Random seed">
                <svg width="16" height="16" viewBox="0 0 16 16" aria-hidden="true"><rect x="1.5" y="1.5" width="13" height="13" rx="3" fill="none" stroke="currentColor" strokeWidth="1.5" /><circle cx="5" cy="5" r="1.3" fill="currentColor" /><circle cx="11" cy="11" r="1.3" fill="currentColor" /><circle cx="8" cy="8" r="1.3" fill="currentColor" /><circle cx="11" cy="5" r="1.3" fill="currentColor" /><circle cx="5" cy="11" r="1.3" fill="currentColor" /></svg>
              </button>
            </div>
          </div>
          <div className="field">
            <label className="field-label" htmlFor="count">Batch size</label>
            <input id="count" type="number" min={1} max={16} value={count} onChange={(e) => setCount(Math.min(16, Math.max(1, Math.floor(Number(e.target.value) || 1))))} />
          </div>
          <div className="actions">
            {running ? (
              <button id="cancel" className="danger big" onClick={cancel}>Cancel <kbd>Esc</kbd></button>
            ) : (
              <button id="generate" className="primary big" onClick={() => void run()}>Generate <kbd>Ctrl ⏎</kbd></button>
            )}
            <button id="variations" className="secondary" onClick={variations} disabled={running} title="New seeds, same pins">Variations</button>
          </div>
          {running && (
            <div className="progress" role="progressbar" aria-valuemin={0} aria-valuemax={K + 1} aria-valuenow={done} aria-label="Generation progress">
              <div className="progress-bar" style={{ width: `${(100 * done) / (K + 1)}%` }} />
            </div>
          )}
          <div className="muted small summary">
            <span className="cap">{cls ? prettyName(cls.name) : ''}</span> · {layers.filter((l) => l.source !== 'generate').length} pinned stage(s) · seed {seed}
          </div>
        </aside>

        <main className="canvas-area" aria-label="Result">
          <div className="big-view">
            <figure>
              <PixelCanvas image={sel?.previews ? tensorToImageData(sel.previews, image, imageSize) : null} size={288} label={`stage ${selected} image`} data={{ testid: 'stage-image' }} />
              <figcaption>{selected === K ? 'Final image' : `Image after stage ${selected}`}</figcaption>
            </figure>
            <figure>
              <PixelCanvas image={sel ? labelsToImageData(sel.labels[image], h, w) : null} size={288} label={`stage ${selected} structure map`} data={{ testid: 'stage-structure', labels: sel ? Array.from(sel.labels[image]).join(',') : '' }} />
              <figcaption>Structure of stage {selected}: {2 ** selected} region{selected ? 's' : ''} · {describeLayer(layers[selected])}</figcaption>
            </figure>
          </div>
          <div className="export-bar" aria-label="Export">
            <select id="export-size" value={exportSize} onChange={(e) => setExportSize(Number(e.target.value) as 1 | 4 | 8)} aria-label="Export size">
              <option value={1}>1×</option><option value={4}>4×</option><option value={8}>8×</option>
            </select>
            <label className="small"><input id="export-smooth" type="checkbox" checked={exportSmooth} onChange={(e) => setExportSmooth(e.target.checked)} /> Smooth</label>
            <button id="export" onClick={() => void exportShown('image')} disabled={shownRecord === null || running} title={shownRecord === null ? 'Only images saved in the library can be exported' : 'PNG with its recipe embedded'}>Export PNG</button>
            <button id="export-maps" onClick={() => void exportShown('maps')} disabled={shownRecord === null || running} title="Per stage: colour map, 1-bit masks, labels and tokens (JSON), and a contact sheet of all stages">Structure maps</button>
            <button id="export-branch" onClick={() => void exportShown('branch')} disabled={shownRecord === null || running} title="This history image and every image made from it, each with its structure maps">Export branch</button>
          </div>
          <div className="stage-nav">
            <button className="small-btn" onClick={() => setSelected((s) => Math.max(0, s - 1))} aria-label="Previous stage" title="Previous stage ([)">‹</button>
            <StageStrip pack={pack} stages={stages} image={image} selected={selected} layers={layers} running={running} onSelect={setSelected} />
            <button className="small-btn" onClick={() => setSelected((s) => Math.min(K, s + 1))} aria-label="Next stage" title="Next stage (])">›</button>
          </div>
          {result && result.count > 1 && !running && (
            <section className="variations" aria-label="Variations">
              <div className="field-label">Variations — pick one</div>
              <div className="variation-grid">
                {Array.from({ length: result.count }, (_, b) => (
                  <button key={b} className={`variation ${b === image ? 'selected' : ''}`} onClick={() => { setImage(b); if (project && recordIds?.[b]) void api.selectRecord(project.id, recordIds[b]).catch(() => undefined); }} aria-pressed={b === image} data-variation={b} title={`Seed ${result.seed + b}`}>
                    <PixelCanvas image={tensorToImageData(result.images, b, imageSize)} size={88} label={`variation ${b + 1}`} />
                    <span className="small">#{result.seed + b}</span>
                  </button>
                ))}
              </div>
            </section>
          )}
          {project && (
            <section className="history" aria-label="Project history" data-testid="history">
              <div className="field-label">History — {project.name} ({history.length})</div>
              <div className="history-list">
                {history.map((r) => (
                  <button key={r.id} className={`history-item ${r.id === shownRecord ? 'selected' : ''}`} data-record-id={r.id} data-parent-id={r.parentId ?? ''}
                    onClick={() => void loadRecord(r.id)} disabled={running} title={`${r.className ? prettyName(r.className) : `class ${r.classId}`} · seed ${r.seed}${r.parentId ? ` · from #${r.parentId}` : ''}`}>
                    <img src={pngUrl(r.thumbnail)} alt={`record ${r.id}`} className="pixel" />
                  </button>
                ))}
              </div>
            </section>
          )}
        </main>

        <aside className="sidebar right" aria-label="Stages and tools">
          <div className="tabs" role="tablist">
            {(['layers', 'draw', 'reference'] as Tab[]).map((t) => (
              <button key={t} role="tab" aria-selected={tab === t} className={tab === t ? 'active' : ''} onClick={() => setTab(t)} data-tab={t}>
                {t === 'layers' ? 'Layers' : t === 'draw' ? 'Draw structure' : 'Reference'}
              </button>
            ))}
          </div>
          <div hidden={tab !== 'layers'}>
            <LayersPanel
              pack={pack} layers={layers} selected={selected} canPinFromResult={!!result && !running}
              onPinFromResult={pinFromResult}
              onFree={(k) => setLayers((ls) => ls.map((l, s) => (s === k ? { source: 'generate', labels: null, tokens: null, pinContent: false } : l)))}
              onToggleContent={(k) => setLayers((ls) => ls.map((l, s) => (s === k && l.tokens ? { ...l, pinContent: !l.pinContent } : l)))}
              onRegenerateFrom={regenerateFrom}
              onClear={() => { setLayers(freeLayers(K)); setPinsFrom(null); }}
              onSelect={setSelected}
            />
          </div>
          <div hidden={tab !== 'draw'}>
            <StructureEditor ref={editorRef} pack={pack} stage={editorStage} onStageChange={setEditorStage} parents={editorParents} onApply={applyDrawn} onError={setError} />
          </div>
          <div hidden={tab !== 'reference'}>
            <ReferencePanel api={api} pack={pack} classId={classId} onError={setError} onUse={useReference} />
          </div>
        </aside>
      </div>
      <LibraryPanel
        api={api} open={libOpen} version={libVersion} currentProjectId={project?.id ?? null} status={libStatus}
        onStatus={(st) => { setLibStatus(st); if (st.ok) { setError(null); setToast({ message: `Library: ${st.path}` }); } }}
        onClose={() => setLibOpen(false)}
        onOpened={(p) => { adoptOpened(p); setLibOpen(false); }}
        onDeleted={(id) => { if (project?.id === id) { setProject(null); setHistory([]); setRecordIds(null); } }}
        onRenamed={(id, name) => setProject((p) => (p && p.id === id ? { ...p, name } : p))}
        onImport={(f) => { void importFile(f); setLibOpen(false); }}
        onToast={setToast}
        onError={setError}
      />
      {toast && (
        <div className="toast" role="status" data-testid="toast">
          <span>{toast.message}</span>
          {toast.action && <button className="link" data-testid="toast-action" onClick={() => { toast.action!.run(); setToast(null); }}>{toast.action.label}</button>}
          <button className="link" onClick={() => setToast(null)} aria-label="Dismiss">×</button>
        </div>
      )}
    </div>
  );
}
