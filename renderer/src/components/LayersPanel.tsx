/** Stages as layers: where each stage's structure and content come from in the next run. */
import type { PackInfo } from '../../../electron/shared/api.js';
import type { Layer, StructureSource } from '../model.js';
import { labelsToImageData } from '../pixels.js';
import { PixelCanvas } from './PixelCanvas.js';

const SOURCE_LABEL: Record<StructureSource, string> = {
  generate: 'Generate', pinned: 'Pinned from result', drawn: 'Drawn', imported: 'Imported mask', reference: 'Reference image',
};

export function LayersPanel(props: {
  pack: PackInfo;
  layers: Layer[];
  selected: number;
  canPinFromResult: boolean;
  onPinFromResult: (k: number, content: boolean) => void;
  onFree: (k: number) => void;
  onToggleContent: (k: number) => void;
  onRegenerateFrom: (k: number) => void;
  onClear: () => void;
  onSelect: (k: number) => void;
}) {
  const { h, w, K } = props.pack.dims;
  return (
    <section className="panel-section" aria-label="Stage layers">
      <p className="help">
        Each stage splits every region in two. Fix a stage’s <b>structure</b> (its regions) and optionally its <b>content</b>;
        free stages are generated. Pins are kept when you change the class or seed.
      </p>
      <ol className="layers">
        {props.layers.map((layer, k) => (
          <li key={k} className={`layer ${k === props.selected ? 'selected' : ''}`} data-layer={k} data-source={layer.source} data-pin-content={String(layer.pinContent)}>
            <button className="layer-thumb" onClick={() => props.onSelect(k)} aria-label={`Select stage ${k}`}>
              <PixelCanvas image={layer.labels ? labelsToImageData(layer.labels, h, w) : null} size={32} label={`stage ${k} pinned structure`} />
            </button>
            <div className="layer-body">
              <div className="layer-title">
                Stage {k} <span className="muted">· {2 ** k} region{k ? 's' : ''}</span>
              </div>
              <div className="layer-source">{SOURCE_LABEL[layer.source]}</div>
              <div className="layer-actions">
                {layer.source === 'generate' ? (
                  <button className="small-btn" disabled={!props.canPinFromResult} onClick={() => props.onPinFromResult(k, true)} aria-label={`Pin stage ${k} from the selected result`}>
                    Pin
                  </button>
                ) : (
                  <button className="small-btn" onClick={() => props.onFree(k)} aria-label={`Unpin stage ${k}`}>Free</button>
                )}
                <label className={`check ${!layer.tokens ? 'disabled' : ''}`}>
                  <input type="checkbox" checked={layer.pinContent} disabled={!layer.tokens} onChange={() => props.onToggleContent(k)} aria-label={`Pin content of stage ${k}`} />
                  content
                </label>
                {k > 0 && (
                  <button className="small-btn" disabled={!props.canPinFromResult} onClick={() => props.onRegenerateFrom(k)} title={`Keep stages 0–${k - 1} of the selected result and generate the rest with a new seed`}>
                    Regen from here
                  </button>
                )}
              </div>
            </div>
          </li>
        ))}
      </ol>
      <div className="row">
        <button className="secondary" onClick={props.onClear}>Clear all pins</button>
        <span className="muted small">K = {K}, latent {h}×{w}</span>
      </div>
    </section>
  );
}
