/** A small bitmap shown large with crisp pixels (image-rendering: pixelated). */
import { useEffect, useRef } from 'react';

export function PixelCanvas(props: { image: ImageData | null; size: number; label: string; className?: string; data?: Record<string, string> }) {
  const ref = useRef<HTMLCanvasElement>(null);
  const { image } = props;
  useEffect(() => {
    const c = ref.current;
    if (!c) return;
    const ctx = c.getContext('2d')!;
    if (!image) {
      ctx.clearRect(0, 0, c.width, c.height);
      return;
    }
    if (c.width !== image.width || c.height !== image.height) {
      c.width = image.width;
      c.height = image.height;
    }
    ctx.putImageData(image, 0, 0);
  }, [image]);
  const dataAttrs: Record<string, string> = {};
  for (const [k, v] of Object.entries(props.data ?? {})) dataAttrs[`data-${k}`] = v;
  return (
    <canvas
      ref={ref}
      role="img"
      aria-label={props.label}
      className={`pixel ${props.className ?? ''} ${image ? '' : 'empty'}`}
      style={{ width: props.size, height: props.size }}
      {...dataAttrs}
    />
  );
}
