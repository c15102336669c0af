/** The live stage strip: per stage, the canvas decoded so far and the structure map. */
import type { PackInfo } from '../../../electron/shared/api.js';
import type { Layer, StageData } from '../model.js';
import { describeLayer } from '../model.js';
import { labelsToImageData, tensorToImageData } from '../pixels.js';
import { PixelCanvas } from './PixelCanvas.js';

export function StageStrip(props: {
  pack: PackInfo;
  stages: (StageData | null)[];
  image: number;
  selected: number;
  layers: Layer[];
  running: boolean;
  onSelect: (k: number) => void;
}) {
  const { h, w, imageSize, K } = props.pack.dims;
  return (
    <div className="stage-strip" role="tablist" aria-label="Stages">
      {Array.from({ length: K + 1 }, (_, k) => {
        const s = props.stages[k];
        const labels = s?.labels[props.image];
        const pending = !s && props.running;
        return (
          <button
            key={k}
            role="tab"
            aria-selected={k === props.selected}
            className={`stage-tile ${k === props.selected ? 'selected' : ''} ${pending ? 'pending' : ''}`}
            onClick={() => props.onSelect(k)}
            data-stage={k}
            data-ready={s ? 'true' : 'false'}
            data-labels={labels ? Array.from(labels).join(',') : ''}
            data-tokens={s ? Array.from(s.tokens[props.image]).join(',') : ''}
            title={`Stage ${k}: ${2 ** k} region${k ? 's' : ''} (${describeLayer(props.layers[k])})`}
          >
            <div className="stage-images">
              <PixelCanvas image={s?.previews ? tensorToImageData(s.previews, props.image, imageSize) : null} size={36} label={`stage ${k} preview`} />
              <PixelCanvas image={labels ? labelsToImageData(labels, h, w) : null} size={36} label={`stage ${k} structure`} />
            </div>
            <div className="stage-caption">
              <span>Stage {k}</span>
              {props.layers[k].source !== 'generate' && <span className="pin-dot" aria-label="pinned">●</span>}
            </div>
          </button>
        );
      })}
    </div>
  );
}
