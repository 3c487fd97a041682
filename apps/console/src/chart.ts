/** A bar chart in SVG, with a text alternative for people who cannot see it. */
export function barChart(
  bars: Array<{ label: string; count: number }>,
  title: string,
): SVGSVGElement {
  const ns = 'http://www.w3.org/2000/svg';
  const width = 640;
  const height = 200;
  const barArea = height - 40;
  const max = Math.max(1, ...bars.map((b) => b.count));
  const step = width / Math.max(1, bars.length);
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('role', 'img');
  svg.setAttribute('class', 'chart');
  const titleElement = document.createElementNS(ns, 'title');
  titleElement.textContent = `${title}: ${bars.map((b) => `${b.label} ${b.count}`).join(', ')}`;
  svg.appendChild(titleElement);
  bars.forEach((bar, index) => {
    const barHeight = Math.round((bar.count / max) * (barArea - 16));
    const x = index * step + 4;
    const rect = document.createElementNS(ns, 'rect');
    rect.setAttribute('x', String(x));
    rect.setAttribute('y', String(barArea - barHeight));
    rect.setAttribute('width', String(step - 8));
    rect.setAttribute('height', String(barHeight));
    svg.appendChild(rect);
    for (const [text, y, cls] of [
      [String(bar.count), barArea - barHeight - 4, 'count'],
      [bar.label, height - 16, 'label'],
    ] as const) {
      const label = document.createElementNS(ns, 'text');
      label.setAttribute('x', String(x + (step - 8) / 2));
      label.setAttribute('y', String(y));
      label.setAttribute('text-anchor', 'middle');
      label.setAttribute('class', cls);
      label.textContent = text;
      svg.appendChild(label);
    }
  });
  return svg;
}
