/**
 * A reference image: open or drop it, resize it to the pack's size in a canvas, encode it to its
 * stages (structure + content), show the reconstruction stage by stage, and reuse its structure
 * and/or content up to a chosen stage in the next generation.
 */
import { useState } from 'react';
import type { EncodedReferenceWire, NvgApi, PackInfo } from '../../../electron/shared/api.js';
import { errorInfo } from '../errors.js';
import { labelsToImageData, tensorToImageData } from '../pixels.js';
import { PixelCanvas } from './PixelCanvas.js';

async function fileToPixels(file: File, size: number): Promise<ImageData> {
  const bitmap = await createImageBitmap(file);
  const c = document.createElement('canvas');
  c.width = c.height = size;
  const ctx = c.getContext('2d')!;
  ctx.fillStyle = '#fff'; // transparent areas count as white, as in the training data
  ctx.fillRect(0, 0, size, size);
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(bitmap, 0, 0, size, size);
  bitmap.close();
  return ctx.getImageData(0, 0, size, size);
}

export function ReferencePanel(props: {
  api: NvgApi;
  pack: PackInfo;
  classId: number;
  onError: (message: string) => void;
  onUse: (encoded: EncodedReferenceWire, upTo: number, withContent: boolean) => void;
}) {
  const { imageSize, h, w, K } = props.pack.dims;
  const [pixels, setPixels] = useState<ImageData | null>(null);
  const [encoded, setEncoded] = useState<EncodedReferenceWire | null>(null);
  const [recon, setRecon] = useState<(Float32Array | null)[]>([]);
  const [busy, setBusy] = useState<string | null>(null);
  const [upTo, setUpTo] = useState(3);
  const [dragging, setDragging] = useState(false);

  const open = async (file: File | undefined) => {
    if (!file) return;
    if (!file.type.startsWith('image/')) return props.onError(`“${file.name}” is not an image.`);
    try {
      setBusy('Reading the image…');
      const img = await fileToPixels(file, imageSize);
      setPixels(img);
      setEncoded(null);
      setRecon([]);
      setBusy('Encoding into stages…');
      const enc = await props.api.encode({ width: imageSize, height: imageSize, channels: 4, data: new Uint8Array(img.data.buffer.slice(0)) });
      setEncoded(enc);
      // The reconstruction: every stage pinned (structure + content) with previews after each stage.
      setBusy('Reconstructing stage by stage…');
      const pins: Record<string, { labels: number[]; tokens: number[] }> = {};
      enc.labels.forEach((l, k) => (pins[k] = { labels: Array.from(l), tokens: Array.from(enc.tokens[k]) }));
      const stages: (Float32Array | null)[] = new Array(K + 1).fill(null);
      const job = props.api.generate({ classId: props.classId, seed: 0, pins, previews: true, autosave: false }, (e) => {
        stages[e.stage] = e.previews ?? null;
        setRecon([...stages]);
      });
      await job.result;
    } catch (err) {
      props.onError(`Reference image: ${errorInfo(err).message}`);
    } finally {
      setBusy(null);
    }
  };

  return (
    <section className="panel-section" aria-label="Reference image">
      <div
        className={`drop-zone ${dragging ? 'dragging' : ''}`}
        onDragOver={(e) => { e.preventDefault(); setDragging(true); }}
        onDragLeave={() => setDragging(false)}
        onDrop={(e) => { e.preventDefault(); setDragging(false); void open(e.dataTransfer.files[0]); }}
      >
        {pixels ? (
          <PixelCanvas image={pixels} size={96} label="reference image" />
        ) : (
          <div className="muted">Drop an image here</div>
        )}
        <label className="file-btn">
          Open image…
          <input type="file" accept="image/*" onChange={(e) => void open(e.target.files?.[0])} aria-label="Open a reference image" data-testid="reference-input" />
        </label>
        <div className="muted small">Resized to {imageSize}×{imageSize}</div>
      </div>
      {busy && <div className="busy small" role="status">{busy}</div>}
      {encoded && (
        <>
          <div className="field-label">Its stages (reconstruction and structure)</div>
          <div className="ref-stages" data-testid="reference-stages">
            {encoded.labels.map((l, k) => (
              <div key={k} className={`ref-stage ${k <= upTo ? 'in-use' : ''}`} data-stage={k} data-labels={Array.from(l).join(',')}>
                <PixelCanvas image={recon[k] ? tensorToImageData(recon[k]!, 0, imageSize) : null} size={30} label={`reference stage ${k} reconstruction`} />
                <PixelCanvas image={labelsToImageData(l, h, w)} size={30} label={`reference stage ${k} structure`} />
                <span className="small">{k}</span>
              </div>
            ))}
          </div>
          <div className="row">
            <label className="field-label" htmlFor="ref-upto">Reuse stages 1 to</label>
            <input id="ref-upto" type="range" min={1} max={K} value={upTo} onChange={(e) => setUpTo(Number(e.target.value))} />
            <span className="value">{upTo}</span>
          </div>
          <div className="row wrap">
            <button className="secondary" onClick={() => props.onUse(encoded, upTo, false)}>Use structure</button>
            <button className="secondary" onClick={() => props.onUse(encoded, upTo, true)}>Use structure + content</button>
          </div>
        </>
      )}
    </section>
  );
}
