// A small SVG plotting kit for the simulator's report: linear and log axes (ticks in svg-axis.ts),
// lines, areas, bars, event markers and a legend, emitted as inline SVG text (no library, no
// network). No kernel counterpart.

import { FONT, esc, fmtNum, logTicks, niceTicks, r1, type AxisSpec } from './svg-axis.ts';

export interface LegendItem {
  readonly name: string;
  readonly color: string;
  readonly dash?: string;
  readonly box?: boolean;
}

export interface PlotOpts {
  readonly title: string;
  readonly width: number;
  readonly height: number;
  readonly x: AxisSpec;
  readonly y: AxisSpec;
  readonly legend?: readonly LegendItem[];
}

export class Plot {
  readonly left = 58;
  readonly right = 18;
  readonly top: number;
  readonly bottom = 44;
  readonly w: number;
  readonly h: number;
  private readonly parts: string[] = [];
  private readonly overlay: string[] = [];
  private readonly o: PlotOpts;
  private readonly clipId: string;
  private static nextId = 0;

  constructor(o: PlotOpts) {
    this.o = o;
    this.w = o.width;
    this.h = o.height;
    const legendRows = this.layoutLegend().rows;
    this.top = 34 + legendRows * 18;
    this.clipId = `c${Plot.nextId++}`;
  }

  get x0(): number {
    return this.left;
  }
  get x1(): number {
    return this.w - this.right;
  }
  get y0(): number {
    return this.h - this.bottom;
  }
  get y1(): number {
    return this.top;
  }

  x(v: number): number {
    return this.map(this.o.x, v, this.x0, this.x1);
  }

  y(v: number): number {
    return this.map(this.o.y, v, this.y0, this.y1);
  }

  private map(a: AxisSpec, v: number, p0: number, p1: number): number {
    if (a.log === true) {
      const lv = Math.log10(Math.max(v, a.min * 1e-3));
      return p0 + ((lv - Math.log10(a.min)) / (Math.log10(a.max) - Math.log10(a.min))) * (p1 - p0);
    }
    return p0 + ((v - a.min) / (a.max - a.min || 1)) * (p1 - p0);
  }

  /** A polyline through (xs[i], ys[i]); NaN or out-of-domain points break it. */
  line(
    xs: readonly number[],
    ys: readonly number[],
    color: string,
    opt: { width?: number; dash?: string; step?: boolean; opacity?: number } = {},
  ): void {
    let d = '';
    let pen = false;
    for (let i = 0; i < xs.length; i++) {
      const xv = xs[i]!;
      const yv = ys[i]!;
      if (
        !Number.isFinite(xv) ||
        !Number.isFinite(yv) ||
        (this.o.y.log === true && yv <= 0) ||
        (this.o.x.log === true && xv <= 0)
      ) {
        pen = false;
        continue;
      }
      const px = r1(this.x(xv));
      const py = r1(this.y(yv));
      if (!pen) d += `M${px} ${py}`;
      else if (opt.step === true) d += `H${px}V${py}`;
      else d += `L${px} ${py}`;
      pen = true;
    }
    if (d === '') return;
    const dash = opt.dash !== undefined ? ` stroke-dasharray="${opt.dash}"` : '';
    const op = opt.opacity !== undefined ? ` stroke-opacity="${opt.opacity}"` : '';
    this.parts.push(
      `<path d="${d}" fill="none" stroke="${color}" stroke-width="${opt.width ?? 2}"${dash}${op} stroke-linejoin="round"/>`,
    );
  }

  /** A dot per point (measured values on an interpolated line). */
  dots(xs: readonly number[], ys: readonly number[], color: string, radius = 3.5): void {
    for (let i = 0; i < xs.length; i++) {
      if (!Number.isFinite(xs[i]!) || !Number.isFinite(ys[i]!)) continue;
      this.parts.push(`<circle cx="${r1(this.x(xs[i]!))}" cy="${r1(this.y(ys[i]!))}" r="${radius}" fill="${color}"/>`);
    }
  }

  /** Filled band between lo[i] and hi[i]. */
  band(xs: readonly number[], lo: readonly number[], hi: readonly number[], color: string, opacity = 0.25): void {
    const pts: string[] = [];
    for (let i = 0; i < xs.length; i++) pts.push(`${r1(this.x(xs[i]!))},${r1(this.y(hi[i]!))}`);
    for (let i = xs.length - 1; i >= 0; i--) pts.push(`${r1(this.x(xs[i]!))},${r1(this.y(lo[i]!))}`);
    this.parts.push(`<polygon points="${pts.join(' ')}" fill="${color}" fill-opacity="${opacity}" stroke="none"/>`);
  }

  rect(xa: number, ya: number, xb: number, yb: number, color: string, title = '', opacity = 1): void {
    const x = Math.min(this.x(xa), this.x(xb));
    const y = Math.min(this.y(ya), this.y(yb));
    const w = Math.abs(this.x(xb) - this.x(xa));
    const h = Math.abs(this.y(yb) - this.y(ya));
    const t = title !== '' ? `<title>${esc(title)}</title>` : '';
    this.parts.push(
      `<rect x="${r1(x)}" y="${r1(y)}" width="${r1(Math.max(w, 0.5))}" height="${r1(h)}" fill="${color}" fill-opacity="${opacity}">${t}</rect>`,
    );
  }

  /** Vertical dashed lines at x with a short label each (staggered so they do not overlap). */
  markers(list: readonly { x: number; label: string }[]): void {
    list.forEach((m, i) => {
      const px = r1(this.x(m.x));
      const ty = this.y1 + 11 + (i % 3) * 11;
      this.overlay.push(
        `<line x1="${px}" x2="${px}" y1="${this.y1}" y2="${this.y0}" stroke="#555" stroke-dasharray="3 3" stroke-width="1"/>`,
      );
      this.overlay.push(
        `<text x="${r1(Number(px) + 3)}" y="${ty}" font-size="10" fill="#444" ${FONT}>${esc(m.label)}</text>`,
      );
    });
  }

  /** A text label in data coordinates. */
  label(xv: number, yv: number, text: string, opt: { anchor?: string; color?: string; size?: number } = {}): void {
    this.overlay.push(
      `<text x="${r1(this.x(xv))}" y="${r1(this.y(yv))}" font-size="${opt.size ?? 10}" fill="${opt.color ?? '#333'}" text-anchor="${opt.anchor ?? 'middle'}" ${FONT}>${esc(text)}</text>`,
    );
  }

  private layoutLegend(): { rows: number; items: { x: number; row: number; it: LegendItem }[] } {
    const items: { x: number; row: number; it: LegendItem }[] = [];
    let x = 58;
    let row = 0;
    for (const it of this.o.legend ?? []) {
      const w = 26 + it.name.length * 6.6 + 14;
      if (x + w > this.o.width - 10 && x > 58) {
        row++;
        x = 58;
      }
      items.push({ x, row, it });
      x += w;
    }
    return { rows: items.length > 0 ? row + 1 : 0, items };
  }

  private axes(): string {
    const o = this.o;
    const out: string[] = [];
    const xt = o.x.ticks ?? (o.x.log === true ? logTicks(o.x.min, o.x.max) : niceTicks(o.x.min, o.x.max));
    const yt = o.y.ticks ?? (o.y.log === true ? logTicks(o.y.min, o.y.max) : niceTicks(o.y.min, o.y.max, 5));
    const fx = o.x.fmt ?? fmtNum;
    const fy = o.y.fmt ?? fmtNum;
    for (const t of yt) {
      const py = r1(this.y(t));
      out.push(`<line x1="${this.x0}" x2="${this.x1}" y1="${py}" y2="${py}" stroke="#e6e6e6"/>`);
      out.push(
        `<text x="${this.x0 - 6}" y="${r1(Number(py) + 3.5)}" font-size="11" fill="#555" text-anchor="end" ${FONT}>${esc(fy(t))}</text>`,
      );
    }
    for (const t of xt) {
      const px = r1(this.x(t));
      out.push(`<line x1="${px}" x2="${px}" y1="${this.y1}" y2="${this.y0}" stroke="#f0f0f0"/>`);
      out.push(
        `<text x="${px}" y="${this.y0 + 15}" font-size="11" fill="#555" text-anchor="middle" ${FONT}>${esc(fx(t))}</text>`,
      );
    }
    out.push(
      `<rect x="${this.x0}" y="${this.y1}" width="${this.x1 - this.x0}" height="${this.y0 - this.y1}" fill="none" stroke="#bbb"/>`,
    );
    out.push(
      `<text x="${(this.x0 + this.x1) / 2}" y="${this.h - 8}" font-size="12" fill="#333" text-anchor="middle" ${FONT}>${esc(o.x.label)}</text>`,
    );
    out.push(
      `<text transform="translate(14 ${(this.y0 + this.y1) / 2}) rotate(-90)" font-size="12" fill="#333" text-anchor="middle" ${FONT}>${esc(o.y.label)}</text>`,
    );
    return out.join('');
  }

  private legend(): string {
    const out: string[] = [];
    for (const { x, row, it } of this.layoutLegend().items) {
      const y = 34 + row * 18;
      if (it.box === true) out.push(`<rect x="${x}" y="${y - 9}" width="18" height="10" fill="${it.color}"/>`);
      else
        out.push(
          `<line x1="${x}" x2="${x + 18}" y1="${y - 4}" y2="${y - 4}" stroke="${it.color}" stroke-width="3"${it.dash !== undefined ? ` stroke-dasharray="${it.dash}"` : ''}/>`,
        );
      out.push(`<text x="${x + 24}" y="${y}" font-size="12" fill="#222" ${FONT}>${esc(it.name)}</text>`);
    }
    return out.join('');
  }

  render(): string {
    const clip = `<clipPath id="${this.clipId}"><rect x="${this.x0}" y="${this.y1}" width="${this.x1 - this.x0}" height="${this.y0 - this.y1}"/></clipPath>`;
    return (
      `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${this.w} ${this.h}" width="${this.w}" height="${this.h}" role="img" aria-label="${esc(this.o.title)}">` +
      `<defs>${clip}</defs><rect width="100%" height="100%" fill="#fff"/>` +
      `<text x="${this.left}" y="18" font-size="14" font-weight="600" fill="#111" ${FONT}>${esc(this.o.title)}</text>` +
      this.legend() +
      this.axes() +
      `<g clip-path="url(#${this.clipId})">${this.parts.join('')}</g>` +
      this.overlay.join('') +
      '</svg>'
    );
  }
}
