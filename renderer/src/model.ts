/**
 * Stages as layers: what each stage of the next generation takes from where. A layer either lets
 * the model generate its structure, or fixes it (pinned from a result, drawn, imported as a mask,
 * or taken from a reference image); its content (the stage's tokens) is pinned only when the
 * structure is fixed and tokens came with it (a result or a reference), as the engine requires.
 */
import type { GenerateResultWire, StagePinWire, StageProgressWire } from '../../electron/shared/api.js';

export type StructureSource = 'generate' | 'pinned' | 'drawn' | 'imported' | 'reference';

export interface Layer {
  source: StructureSource;
  labels: Int32Array | null;
  /** Tokens available for this stage (from a result or a reference), pinned when pinContent. */
  tokens: Int32Array | null;
  pinContent: boolean;
}

export const FREE: Layer = { source: 'generate', labels: null, tokens: null, pinContent: false };

export function freeLayers(K: number): Layer[] {
  return Array.from({ length: K + 1 }, () => ({ ...FREE }));
}

export function buildPins(layers: Layer[]): Record<string, StagePinWire> | undefined {
  const pins: Record<string, StagePinWire> = {};
  layers.forEach((layer, k) => {
    if (layer.source === 'generate' || !layer.labels) return;
    pins[k] = { labels: Array.from(layer.labels), tokens: layer.pinContent && layer.tokens ? Array.from(layer.tokens) : null };
  });
  return Object.keys(pins).length ? pins : undefined;
}

/** Per stage, where its structure came from, as a VGS record says it. */
export function layerSources(layers: Layer[]): ('generated' | 'drawn' | 'reference')[] {
  return layers.map((l) => (l.source === 'drawn' || l.source === 'imported' ? 'drawn' : l.source === 'reference' ? 'reference' : 'generated'));
}

export function describeLayer(layer: Layer): string {
  if (layer.source === 'generate') return 'generated';
  return `${layer.source}${layer.pinContent ? ' + content' : ''}`;
}

/** Per-stage data of a run (all images of the batch), filled as progress arrives. */
export interface StageData {
  labels: Int32Array[];
  tokens: Int32Array[];
  previews?: Float32Array;
}

export function stageFromProgress(e: StageProgressWire): StageData {
  return { labels: e.labels, tokens: e.tokens, previews: e.previews };
}

/** Layers 0..k-1 pinned (structure and content) from image b of a result; the rest free. */
export function pinBelow(result: GenerateResultWire, b: number, k: number, K: number): Layer[] {
  return Array.from({ length: K + 1 }, (_, s) =>
    s < k ? { source: 'pinned' as const, labels: result.labels[b][s], tokens: result.tokens[b][s], pinContent: true } : { ...FREE },
  );
}

export const randomSeed = () => Math.floor(Math.random() * 2 ** 31);
