/**
 * Stage previews for the contact sheet: replays the record with every stage as recorded and the
 * engine's per-stage previews (the canvas decoded after each stage). Runs the engine, so it
 * belongs in the engine process or the CLI, not in the main process.
 */
import { generate } from '../engine/generate.js';
import { imageToRgba } from '../engine/image.js';
import type { Pack } from '../engine/pack.js';
import { parseVgs, vgsToRequest, type VgsRecord } from '../engine/vgs.js';
import type { RgbaImage } from '../shared/png.js';

/** Every stage pinned (structure and content): the replay is exactly the recorded image. */
export function pinAll(vgs: VgsRecord): VgsRecord {
  return { ...vgs, stages: vgs.stages.map((s) => ({ ...s, pinStructure: true, pinContent: true })) };
}

export interface StageRender {
  previews: RgbaImage[];
  /** The final image (equals the record's image when the pack is the record's). */
  image: RgbaImage;
}

export async function renderStages(pack: Pack, vgs: VgsRecord): Promise<StageRender> {
  const rec = parseVgs(vgs, pack);
  const size = pack.dims.imageSize;
  const previews: RgbaImage[] = [];
  const result = await generate(pack, {
    ...vgsToRequest(pinAll(rec)),
    previews: true,
    onProgress: (e) => {
      if (e.previews) previews[e.stage] = { width: size, height: size, data: new Uint8Array(imageToRgba(e.previews, 0, size).buffer) };
    },
  });
  return { previews, image: { width: size, height: size, data: new Uint8Array(imageToRgba(result.images, 0, size).buffer) } };
}
