/**
 * The structure editor: paint the split of stage k inside each stage k-1 region on a fabric.js
 * canvas (brush, eraser, ellipse, rectangle, polygon, fill), see it snapped to the latent grid
 * live (maskToStageLabels, balanced or as drawn), undo/redo, import a mask PNG or a sample map,
 * then use it as the stage's structure.
 */
import { Canvas, Ellipse, FabricImage, type FabricObject, PencilBrush, Polygon, Polyline, Rect, type TPointerEventInfo } from 'fabric';
import { forwardRef, useCallback, useEffect, useImperativeHandle, useRef, useState } from 'react';
import type { MaskMode } from '../../../electron/engine/structure.js';
import type { PackInfo } from '../../../electron/shared/api.js';
import { binaryMask, floodFill, INK, PAPER, snapToStage, type SnapResult } from '../editorRaster.js';
import { labelsToImageData } from '../pixels.js';
import { PixelCanvas } from './PixelCanvas.js';
import circleUrl from '../../../assets/structure-maps/circle.png';
import halvesHUrl from '../../../assets/structure-maps/halves-horizontal.png';
import halvesVUrl from '../../../assets/structure-maps/halves-vertical.png';
import rectangleUrl from '../../../assets/structure-maps/rectangle.png';

export type Tool = 'brush' | 'eraser' | 'ellipse' | 'rect' | 'polygon' | 'fill';
const TOOLS: { id: Tool; label: string; key?: string }[] = [
  { id: 'brush', label: 'Brush', key: 'B' }, { id: 'eraser', label: 'Eraser', key: 'E' }, { id: 'ellipse', label: 'Ellipse' },
  { id: 'rect', label: 'Rectangle' }, { id: 'polygon', label: 'Polygon' }, { id: 'fill', label: 'Fill' },
];
const SAMPLES = [
  { name: 'Circle', url: circleUrl }, { name: 'Rectangle', url: rectangleUrl },
  { name: 'Halves ↔', url: halvesVUrl }, { name: 'Halves ↕', url: halvesHUrl },
];
export const EDITOR_SIZE = 256;

export interface EditorHandle {
  undo(): void;
  redo(): void;
  setTool(t: Tool): void;
}

async function loadImageElement(src: string): Promise<HTMLImageElement> {
  const img = new Image();
  img.src = src;
  await img.decode();
  return img;
}

export const StructureEditor = forwardRef<EditorHandle, {
  pack: PackInfo;
  stage: number;
  onStageChange: (k: number) => void;
  parents: Int32Array;
  onApply: (k: number, labels: Int32Array, source: 'drawn' | 'imported', generate: boolean) => void;
  onError: (message: string) => void;
}>(function StructureEditor(props, ref) {
  const { h, w, K } = props.pack.dims;
  const hostRef = useRef<HTMLCanvasElement>(null);
  const overlayRef = useRef<HTMLCanvasElement>(null);
  const fabricRef = useRef<Canvas | null>(null);
  const history = useRef<{ stack: string[]; index: number }>({ stack: [], index: -1 });
  const restoring = useRef(false);
  const importedRef = useRef(false);
  const [tool, setTool] = useState<Tool>('brush');
  const [brushSize, setBrushSize] = useState(24);
  const [mode, setMode] = useState<MaskMode>('balanced');
  const [snap, setSnap] = useState<SnapResult>({ ok: false, message: 'Draw (ink) where the second half of each region should go.' });
  const [canUndo, setCanUndo] = useState(false);
  const [canRedo, setCanRedo] = useState(false);
  const polygonPoints = useRef<{ x: number; y: number }[]>([]);
  const polygonPreview = useRef<Polyline | null>(null);
  const modeRef = useRef(mode);
  modeRef.current = mode;
  const propsRef = useRef(props);
  propsRef.current = props;

  const raster = useCallback(() => {
    const canvas = fabricRef.current!;
    canvas.renderAll();
    const el = canvas.lowerCanvasEl;
    return el.getContext('2d')!.getImageData(0, 0, el.width, el.height);
  }, []);

  const recompute = useCallback(() => {
    const p = propsRef.current;
    setSnap(snapToStage(binaryMask(raster()), h, w, p.stage, p.parents, modeRef.current));
  }, [h, w, raster]);

  const pushHistory = useCallback(() => {
    if (restoring.current) return;
    const hst = history.current;
    hst.stack = hst.stack.slice(0, hst.index + 1);
    hst.stack.push(JSON.stringify(fabricRef.current!.toJSON()));
    hst.index = hst.stack.length - 1;
    setCanUndo(hst.index > 0);
    setCanRedo(false);
    recompute();
  }, [recompute]);

  const restore = useCallback(async (index: number) => {
    const hst = history.current;
    if (index < 0 || index >= hst.stack.length) return;
    restoring.current = true;
    hst.index = index;
    const canvas = fabricRef.current!;
    await canvas.loadFromJSON(JSON.parse(hst.stack[index]));
    canvas.backgroundColor = '';
    canvas.renderAll();
    restoring.current = false;
    setCanUndo(index > 0);
    setCanRedo(index < hst.stack.length - 1);
    recompute();
  }, [recompute]);

  // Create the fabric canvas once.
  useEffect(() => {
    const canvas = new Canvas(hostRef.current!, { width: EDITOR_SIZE, height: EDITOR_SIZE, enableRetinaScaling: false, selection: false, isDrawingMode: true });
    fabricRef.current = canvas;
    canvas.on('path:created', () => {
      importedRef.current = false;
      pushHistory();
    });
    history.current = { stack: [JSON.stringify(canvas.toJSON())], index: 0 };
    return () => {
      void canvas.dispose();
      fabricRef.current = null;
    };
  }, [pushHistory]);

  // Tool wiring: freehand tools use fabric's brush; shapes and fill use mouse events.
  useEffect(() => {
    const canvas = fabricRef.current!;
    canvas.isDrawingMode = tool === 'brush' || tool === 'eraser';
    if (canvas.isDrawingMode) {
      const brush = new PencilBrush(canvas);
      brush.color = tool === 'eraser' ? PAPER : INK;
      brush.width = brushSize;
      canvas.freeDrawingBrush = brush;
    }
    canvas.defaultCursor = tool === 'fill' ? 'cell' : 'crosshair';
    let shape: FabricObject | null = null;
    let origin = { x: 0, y: 0 };
    const add = (obj: FabricObject) => {
      obj.set({ selectable: false, evented: false, objectCaching: false });
      canvas.add(obj);
    };
    const down = (opt: TPointerEventInfo) => {
      const p = canvas.getScenePoint(opt.e);
      if (tool === 'ellipse' || tool === 'rect') {
        origin = { x: p.x, y: p.y };
        shape = tool === 'rect'
          ? new Rect({ left: p.x, top: p.y, width: 1, height: 1, fill: INK, strokeWidth: 0 })
          : new Ellipse({ left: p.x, top: p.y, rx: 0.5, ry: 0.5, fill: INK, strokeWidth: 0 });
        add(shape);
      } else if (tool === 'fill') {
        const mask = binaryMask(raster());
        const x = Math.max(0, Math.min(EDITOR_SIZE - 1, Math.floor(p.x))), y = Math.max(0, Math.min(EDITOR_SIZE - 1, Math.floor(p.y)));
        const region = floodFill(mask, x, y);
        const colour = mask.data[y * EDITOR_SIZE + x] ? [255, 255, 255] : [0x1d, 0x24, 0x33]; // fill flips the area
        const off = document.createElement('canvas');
        off.width = off.height = EDITOR_SIZE;
        const ctx = off.getContext('2d')!;
        const img = ctx.createImageData(EDITOR_SIZE, EDITOR_SIZE);
        region.forEach((v, i) => v && img.data.set([...colour, 255], i * 4));
        ctx.putImageData(img, 0, 0);
        add(new FabricImage(off, { left: 0, top: 0, originX: 'left', originY: 'top' }));
        importedRef.current = false;
        pushHistory();
      } else if (tool === 'polygon') {
        const pts = polygonPoints.current;
        const first = pts[0];
        if (pts.length >= 3 && Math.hypot(p.x - first.x, p.y - first.y) < 8) return closePolygon();
        pts.push({ x: p.x, y: p.y });
        if (polygonPreview.current) canvas.remove(polygonPreview.current);
        polygonPreview.current = new Polyline(pts.map((q) => ({ ...q })), { stroke: '#4f8cff', strokeWidth: 2, fill: '', selectable: false, evented: false, objectCaching: false });
        canvas.add(polygonPreview.current);
        canvas.requestRenderAll();
      }
    };
    const move = (opt: TPointerEventInfo) => {
      if (!shape) return;
      const p = canvas.getScenePoint(opt.e);
      const left = Math.min(origin.x, p.x), top = Math.min(origin.y, p.y);
      const width = Math.abs(p.x - origin.x), height = Math.abs(p.y - origin.y);
      if (shape instanceof Rect) shape.set({ left, top, width, height });
      else shape.set({ left, top, rx: width / 2, ry: height / 2 });
      shape.setCoords();
      canvas.requestRenderAll();
    };
    const up = () => {
      if (!shape) return;
      shape = null;
      importedRef.current = false;
      pushHistory();
    };
    const dbl = () => tool === 'polygon' && closePolygon();
    function closePolygon() {
      const pts = polygonPoints.current;
      if (polygonPreview.current) canvas.remove(polygonPreview.current);
      polygonPreview.current = null;
      polygonPoints.current = [];
      if (pts.length >= 3) {
        add(new Polygon(pts, { fill: INK, strokeWidth: 0 }));
        importedRef.current = false;
        pushHistory();
      }
      canvas.requestRenderAll();
    }
    const key = (e: KeyboardEvent) => {
      if (tool !== 'polygon') return;
      if (e.key === 'Enter' && polygonPoints.current.length) { e.preventDefault(); closePolygon(); }
      if (e.key === 'Escape') {
        if (polygonPreview.current) canvas.remove(polygonPreview.current);
        polygonPreview.current = null;
        polygonPoints.current = [];
        canvas.requestRenderAll();
      }
    };
    canvas.on('mouse:down', down);
    canvas.on('mouse:move', move);
    canvas.on('mouse:up', up);
    canvas.on('mouse:dblclick', dbl);
    window.addEventListener('keydown', key);
    return () => {
      canvas.off('mouse:down', down);
      canvas.off('mouse:move', move);
      canvas.off('mouse:up', up);
      canvas.off('mouse:dblclick', dbl);
      window.removeEventListener('keydown', key);
    };
  }, [tool, brushSize, pushHistory, raster]);

  // The parent regions under the drawing, with the latent grid.
  useEffect(() => {
    const c = overlayRef.current!;
    const ctx = c.getContext('2d')!;
    const cell = EDITOR_SIZE / w;
    const img = labelsToImageData(props.parents, h, w);
    ctx.imageSmoothingEnabled = false;
    const small = document.createElement('canvas');
    small.width = w;
    small.height = h;
    small.getContext('2d')!.putImageData(img, 0, 0);
    ctx.clearRect(0, 0, EDITOR_SIZE, EDITOR_SIZE);
    ctx.drawImage(small, 0, 0, EDITOR_SIZE, EDITOR_SIZE);
    ctx.strokeStyle = 'rgba(0,0,0,0.18)';
    for (let i = 1; i < w; i++) {
      ctx.beginPath(); ctx.moveTo(i * cell + 0.5, 0); ctx.lineTo(i * cell + 0.5, EDITOR_SIZE); ctx.stroke();
      ctx.beginPath(); ctx.moveTo(0, i * cell + 0.5); ctx.lineTo(EDITOR_SIZE, i * cell + 0.5); ctx.stroke();
    }
    if (fabricRef.current) recompute();
  }, [props.parents, h, w, recompute, props.stage]);

  useEffect(() => {
    if (fabricRef.current) recompute();
  }, [mode, recompute]);

  const undo = useCallback(() => void restore(history.current.index - 1), [restore]);
  const redo = useCallback(() => void restore(history.current.index + 1), [restore]);
  useImperativeHandle(ref, () => ({ undo, redo, setTool }), [undo, redo]);

  const clear = () => {
    fabricRef.current!.clear();
    fabricRef.current!.backgroundColor = '';
    pushHistory();
  };

  /** A mask picture (file or sample) replaces the drawing: dark = ink, scaled with crisp pixels. */
  const importMask = async (src: string) => {
    try {
      const img = await loadImageElement(src);
      const off = document.createElement('canvas');
      off.width = off.height = EDITOR_SIZE;
      const ctx = off.getContext('2d')!;
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(img, 0, 0, EDITOR_SIZE, EDITOR_SIZE);
      const canvas = fabricRef.current!;
      canvas.clear();
      canvas.backgroundColor = '';
      const obj = new FabricImage(off, { left: 0, top: 0, originX: 'left', originY: 'top', selectable: false, evented: false });
      canvas.add(obj);
      importedRef.current = true;
      pushHistory();
    } catch {
      props.onError('That file could not be read as an image (PNG, JPEG, WebP or GIF).');
    }
  };

  const onFile = (file: File | undefined) => {
    if (!file) return;
    const url = URL.createObjectURL(file);
    void importMask(url).finally(() => URL.revokeObjectURL(url));
  };

  const apply = (generate: boolean) => {
    if (snap.ok) props.onApply(props.stage, snap.labels, importedRef.current ? 'imported' : 'drawn', generate);
  };

  return (
    <section className="panel-section editor" aria-label="Structure editor">
      <div className="row">
        <label className="field-label" htmlFor="editor-stage">Stage to draw</label>
        <select id="editor-stage" value={props.stage} onChange={(e) => props.onStageChange(Number(e.target.value))}>
          {Array.from({ length: K }, (_, i) => i + 1).map((k) => (
            <option key={k} value={k}>Stage {k} — split {2 ** (k - 1)} region{k > 1 ? 's' : ''}</option>
          ))}
        </select>
      </div>
      <div className="toolbar" role="toolbar" aria-label="Drawing tools">
        {TOOLS.map((t) => (
          <button key={t.id} className={`tool ${tool === t.id ? 'active' : ''}`} aria-pressed={tool === t.id} onClick={() => setTool(t.id)} title={t.key ? `${t.label} (${t.key})` : t.label} data-tool={t.id}>
            {t.label}
          </button>
        ))}
      </div>
      <div className="row wrap">
        <label className="field-label" htmlFor="brush-size">Size</label>
        <input id="brush-size" type="range" min={4} max={64} value={brushSize} onChange={(e) => setBrushSize(Number(e.target.value))} />
        <button className="small-btn" onClick={undo} disabled={!canUndo} title="Undo (Ctrl+Z)">Undo</button>
        <button className="small-btn" onClick={redo} disabled={!canRedo} title="Redo (Ctrl+Shift+Z)">Redo</button>
        <button className="small-btn" onClick={clear}>Clear</button>
      </div>
      <div className="editor-stack" style={{ width: EDITOR_SIZE, height: EDITOR_SIZE }}>
        <canvas ref={overlayRef} width={EDITOR_SIZE} height={EDITOR_SIZE} className="editor-overlay" aria-hidden="true" />
        <div className="editor-fabric" data-testid="editor-canvas">
          <canvas ref={hostRef} aria-label={`Drawing canvas for stage ${props.stage}`} />
        </div>
      </div>
      <div className="row">
        <span className="field-label">Snap</span>
        <div className="segmented" role="radiogroup" aria-label="Snapping mode">
          <button role="radio" aria-checked={mode === 'balanced'} className={mode === 'balanced' ? 'active' : ''} onClick={() => setMode('balanced')} title="Each region splits into two equal halves, as the model was trained">Balanced</button>
          <button role="radio" aria-checked={mode === 'asDrawn'} className={mode === 'asDrawn' ? 'active' : ''} onClick={() => setMode('asDrawn')} title="Cells follow the drawing exactly (halves may be unequal)">As drawn</button>
        </div>
      </div>
      <div className="snap-preview">
        <PixelCanvas image={snap.ok ? labelsToImageData(snap.labels, h, w) : null} size={96} label="snapped structure preview" data={{ labels: snap.ok ? Array.from(snap.labels).join(',') : '' }} />
        <div className="snap-text small">{snap.ok ? `Stage ${props.stage} snapped to the ${h}×${w} grid (${2 ** props.stage} regions).` : snap.message}</div>
      </div>
      <div className="row wrap">
        <button className="primary" disabled={!snap.ok} onClick={() => apply(true)}>Use & generate</button>
        <button className="secondary" disabled={!snap.ok} onClick={() => apply(false)}>Use as stage {props.stage}</button>
      </div>
      <div className="row wrap">
        <label className="file-btn">
          Import mask…
          <input type="file" accept="image/*" onChange={(e) => onFile(e.target.files?.[0])} aria-label="Import a mask image" />
        </label>
        {SAMPLES.map((s) => (
          <button key={s.name} className="small-btn" onClick={() => void importMask(s.url)}>{s.name}</button>
        ))}
      </div>
    </section>
  );
});
