/**
 * The recipe inside an exported PNG:
 * - tEXt "parameters", A1111 style, so the usual PNG-info readers show something sensible:
 *     <class name>
 *     Steps: 8, Sampler: NVG, CFG scale: 3, Seed: 42, Size: 32x32, Model: tiny, Model hash: 0123456789, ...
 *   (informative only; never parsed back);
 * - iTXt "nvg-vgs": the full VGS record JSON (pack name + manifest sha256, class, seed, params, every
 *   stage), zlib-compressed when large. This is what import reads, validated with parseVgs.
 */
import { EngineError } from '../engine/errors.js';
import { parseVgs, type VgsRecord } from '../engine/vgs.js';
import { decodePng, encodePng, type RgbaImage } from '../shared/png.js';
import { ExportError } from './errors.js';
import { insertText, readChunks, readText } from './pngChunks.js';
import { resizeForExport, type ResizeMode } from './resize.js';

export const PARAMETERS_KEY = 'parameters';
export const VGS_KEY = 'nvg-vgs';
/** Above this the VGS JSON is compressed (large packs: 13 stages x 4096 labels). */
const COMPRESS_ABOVE = 8 * 1024;

export interface RecipeInfo {
  /** The class's name in the pack; default "class <id>". */
  className?: string | null;
}

/** Stages as compact ranges: [0, 1, 2, 5] -> "0-2, 5"; none -> "none". */
function ranges(ks: number[]): string {
  if (!ks.length) return 'none';
  const out: string[] = [];
  for (let i = 0; i < ks.length; ) {
    let j = i;
    while (j + 1 < ks.length && ks[j + 1] === ks[j] + 1) j++;
    out.push(i === j ? `${ks[i]}` : `${ks[i]}-${ks[j]}`);
    i = j + 1;
  }
  return out.join(' ');
}

/** Latin-1 only (tEXt); anything else becomes '?'. */
const latin1 = (s: string) => s.replace(/[^\x20-\x7e\xa0-\xff\n]/g, '?');

export function a1111Parameters(vgs: VgsRecord, size: { width: number; height: number }, info: RecipeInfo = {}): string {
  const p = vgs.params;
  const pinned = (f: (s: VgsRecord['stages'][number]) => boolean) => ranges(vgs.stages.flatMap((s, k) => (f(s) ? [k] : [])));
  const fields: [string, string | number][] = [
    ['Steps', p.structureSteps],
    ['Sampler', 'NVG'],
    ['CFG scale', p.cfgContentMax],
    ['Seed', vgs.seed],
    ['Size', `${size.width}x${size.height}`],
    ['Model', vgs.pack.name.replace(/[,\n]/g, ' ')],
    ['Model hash', vgs.pack.manifestSha256.slice(0, 10)],
    ['Structure CFG scale', p.cfgStructureMax],
    ['Top-p min', p.topPMin],
    ['Time shift', p.timeShiftMu],
    ['Gumbel temperature', p.gumbelTemperature],
    ['Class id', vgs.classId],
    ['Stages', vgs.stages.length],
    ['Pinned structure', pinned((s) => s.pinStructure)],
    ['Pinned content', pinned((s) => s.pinContent)],
    ['NVG VGS', `v${vgs.version}`],
  ];
  const prompt = (info.className ?? `class ${vgs.classId}`).replace(/\n/g, ' ');
  return latin1(`${prompt}\n${fields.map(([k, v]) => `${k}: ${v}`).join(', ')}`);
}

/** PNG bytes + the recipe chunks (replacing any earlier recipe). Pixels are untouched. */
export function embedRecipe(png: Uint8Array, vgs: VgsRecord, info: RecipeInfo = {}): Buffer {
  const ihdr = readChunks(png)[0].data;
  const size = { width: ihdr.readUInt32BE(0), height: ihdr.readUInt32BE(4) };
  const json = JSON.stringify(parseVgs(vgs));
  return insertText(png, [
    { keyword: PARAMETERS_KEY, text: a1111Parameters(vgs, size, info), kind: 'tEXt' },
    { keyword: VGS_KEY, text: json, kind: 'iTXt', compress: json.length > COMPRESS_ABOVE },
  ]);
}

export interface Recipe {
  vgs: VgsRecord;
  /** The A1111 text, when present (for display). */
  parameters: string | null;
}

/** Reads the recipe back (import / drop on the app). NOT_PNG, NO_RECIPE or BAD_RECIPE otherwise. */
export function readRecipe(png: Uint8Array, file = 'image'): Recipe {
  const text = readText(png, file);
  const json = text.get(VGS_KEY);
  if (json === undefined) {
    throw new ExportError('NO_RECIPE', `${file} has no NVG recipe: it was not exported by NVG Studio (or the recipe was stripped by another program)`, { file });
  }
  try {
    return { vgs: parseVgs(json), parameters: text.get(PARAMETERS_KEY) ?? null };
  } catch (err) {
    if (err instanceof EngineError) throw new ExportError('BAD_RECIPE', `${file}: the embedded recipe is damaged (${err.message})`, { file, ...err.details }, { cause: err });
    throw err;
  }
}

export interface ImageExportOptions extends RecipeInfo {
  /** Size factor (default 1): an integer for 'nearest', any positive number for 'smooth'. */
  scale?: number;
  mode?: ResizeMode;
}

/**
 * The exported image: pixels at the chosen size plus the recipe. `image` is the record's PNG bytes
 * or decoded pixels; at 1x PNG bytes are kept as they are (the export is the generated image).
 */
export function exportImage(image: Uint8Array | RgbaImage, vgs: VgsRecord, options: ImageExportOptions = {}): Buffer {
  const scale = options.scale ?? 1;
  const mode = options.mode ?? 'nearest';
  const isBytes = image instanceof Uint8Array;
  if (isBytes && scale === 1) return embedRecipe(image, vgs, options);
  const pixels = isBytes ? decodePng(Buffer.from(image.buffer, image.byteOffset, image.byteLength)) : image;
  return embedRecipe(encodePng(resizeForExport(pixels, scale, mode)), vgs, options);
}
