// A uPlot chart in a <figure>: the canvas is one labelled image for screen
// readers, and the same numbers follow in a table (the accessible form).
// uPlot's own legend is off; the caption and table say what is drawn.
import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

export interface ChartProps {
  readonly id: string;
  readonly title: string;
  /** What the picture shows, in words (the image's accessible name). */
  readonly summary: string;
  readonly options: Omit<uPlot.Options, 'width' | 'height'>;
  readonly data: uPlot.AlignedData;
  readonly children?: ComponentChildren;
}

export const barPaths = uPlot.paths.bars!({ size: [0.6, 80] });

export function Chart(p: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const plot = new uPlot({ ...p.options, width: Math.max(320, el.clientWidth || 600), height: 260, legend: { show: false } }, p.data, el);
    return () => plot.destroy();
  }, [p.options, p.data]);
  return (
    <figure aria-labelledby={`${p.id}-cap`} id={p.id}>
      <figcaption id={`${p.id}-cap`}>{p.title}</figcaption>
      <div ref={box} class="chart" role="img" aria-label={p.summary} />
      {p.children}
    </figure>
  );
}

/** Colours with enough contrast on white (WCAG AA for graphics). */
export const COLORS = { blue: '#1f5fbf', green: '#1b7a3a', red: '#b3261e', grey: '#555' } as const;
