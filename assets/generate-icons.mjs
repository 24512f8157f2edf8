#!/usr/bin/env node
// Draws Sesame's tray and app icons and writes them as PNG files next to this script.
// Pure Node (zlib only): the shapes are signed-distance functions sampled 4x4 per pixel, so
// edges are antialiased at every size. Run `node assets/generate-icons.mjs` after changing a
// shape or a colour; the PNGs are committed as source art.
//
// Tray icons show one glyph, a keyhole plate, in four states. The state is readable from the
// shape alone (macOS template images are black + alpha), and the colour adds to it:
//   logged-out  outlined plate, no badge
//   ok          solid plate (green badge in colour variants)
//   attention   solid plate + round badge (amber)
//   error       solid plate + a cross badge (red)
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { deflateSync } from 'node:zlib';

const HERE = import.meta.dirname;

// ---------- PNG encoding ----------

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** RGBA8 pixels (length = size * size * 4) → PNG bytes. */
export function encodePng(size, rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // colour type RGBA
  const rows = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    rows[y * (size * 4 + 1)] = 0; // filter: none
    rgba.copy(rows, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(rows, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// ---------- Shapes (unit square, y down; negative distance = inside) ----------

const circle = (cx, cy, r) => (x, y) => Math.hypot(x - cx, y - cy) - r;

function roundedRect(x0, y0, x1, y1, r) {
  const cx = (x0 + x1) / 2;
  const cy = (y0 + y1) / 2;
  const hx = (x1 - x0) / 2 - r;
  const hy = (y1 - y0) / 2 - r;
  return (x, y) => {
    const dx = Math.abs(x - cx) - hx;
    const dy = Math.abs(y - cy) - hy;
    return Math.hypot(Math.max(dx, 0), Math.max(dy, 0)) + Math.min(Math.max(dx, dy), 0) - r;
  };
}

/** A vertical trapezoid, centred on cx, from y0 (half-width w0) to y1 (half-width w1). */
function trapezoid(cx, y0, y1, w0, w1) {
  return (x, y) => {
    const t = Math.min(Math.max((y - y0) / (y1 - y0), 0), 1);
    const half = w0 + (w1 - w0) * t;
    return Math.max(Math.abs(x - cx) - half, y0 - y, y - y1);
  };
}

/** A line segment of half-thickness r. */
function segment(ax, ay, bx, by, r) {
  return (x, y) => {
    const px = x - ax;
    const py = y - ay;
    const vx = bx - ax;
    const vy = by - ay;
    const t = Math.min(Math.max((px * vx + py * vy) / (vx * vx + vy * vy), 0), 1);
    return Math.hypot(px - vx * t, py - vy * t) - r;
  };
}

const union =
  (...shapes) =>
  (x, y) =>
    Math.min(...shapes.map((s) => s(x, y)));
const subtract = (a, b) => (x, y) => Math.max(a(x, y), -b(x, y));
const ring = (shape, width) => (x, y) => Math.abs(shape(x, y) + width / 2) - width / 2;

// ---------- Rasterising ----------

const SUB = 4; // 4x4 samples per pixel

/** layers: [{ shape, color: [r,g,b,a 0..1] }] painted in order with "over" compositing. */
function render(size, layers) {
  const out = Buffer.alloc(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (const { shape, color } of layers) {
        let hits = 0;
        for (let sy = 0; sy < SUB; sy++) {
          for (let sx = 0; sx < SUB; sx++) {
            const x = (px + (sx + 0.5) / SUB) / size;
            const y = (py + (sy + 0.5) / SUB) / size;
            if (shape(x, y) <= 0) hits++;
          }
        }
        const cover = (hits / (SUB * SUB)) * color[3];
        if (cover === 0) continue;
        // Premultiplied "over".
        r = color[0] * cover + r * (1 - cover);
        g = color[1] * cover + g * (1 - cover);
        b = color[2] * cover + b * (1 - cover);
        a = cover + a * (1 - cover);
      }
      const i = (py * size + px) * 4;
      out[i] = a ? Math.round((r / a) * 255) : 0;
      out[i + 1] = a ? Math.round((g / a) * 255) : 0;
      out[i + 2] = a ? Math.round((b / a) * 255) : 0;
      out[i + 3] = Math.round(a * 255);
    }
  }
  return out;
}

const hex = (h, alpha = 1) => [
  parseInt(h.slice(1, 3), 16) / 255,
  parseInt(h.slice(3, 5), 16) / 255,
  parseInt(h.slice(5, 7), 16) / 255,
  alpha,
];

// ---------- The tray glyph ----------

export const TRAY_STATES = ['logged-out', 'ok', 'attention', 'error'];

const STATE_COLOURS = { ok: '#2ea043', attention: '#d29922', error: '#e5534b' };
// Plate colour per panel: a dark glyph on light panels, a light glyph on dark panels.
const PLATE = { light: '#1f2328', dark: '#f0f3f6' };

const plate = roundedRect(0.1, 0.04, 0.8, 0.9, 0.2);
const keyhole = union(circle(0.45, 0.34, 0.12), trapezoid(0.45, 0.36, 0.62, 0.05, 0.095));
const badgeAt = { cx: 0.78, cy: 0.78, r: 0.2 };
// Attention is a dot, error a cross: different silhouettes, so they differ in template images too.
const dot = circle(badgeAt.cx, badgeAt.cy, badgeAt.r);
const cross = union(
  segment(badgeAt.cx - 0.13, badgeAt.cy - 0.13, badgeAt.cx + 0.13, badgeAt.cy + 0.13, 0.075),
  segment(badgeAt.cx - 0.13, badgeAt.cy + 0.13, badgeAt.cx + 0.13, badgeAt.cy - 0.13, 0.075),
);
const badgeClearance = circle(badgeAt.cx, badgeAt.cy, badgeAt.r + 0.07);

/** The layers of one tray icon. `ink` paints the plate; `template` means black + alpha only. */
function trayLayers(state, { ink, template }) {
  const plateInk = template ? '#000000' : ink;
  if (state === 'logged-out') {
    return [
      { shape: ring(plate, 0.1), color: hex(plateInk, template ? 1 : 0.85) },
      { shape: keyhole, color: hex(plateInk, template ? 1 : 0.85) },
    ];
  }
  const hasBadge = state !== 'ok' || !template;
  const body = hasBadge ? subtract(subtract(plate, keyhole), badgeClearance) : subtract(plate, keyhole);
  const layers = [{ shape: body, color: hex(plateInk) }];
  if (!hasBadge) return layers;
  const badgeInk = template ? '#000000' : STATE_COLOURS[state];
  layers.push({ shape: state === 'error' ? cross : dot, color: hex(badgeInk) });
  return layers;
}

// ---------- The app icon ----------

function appIconLayers() {
  const tile = roundedRect(0.06, 0.06, 0.94, 0.94, 0.22);
  const tileLow = (x, y) => Math.max(tile(x, y), 0.5 - y); // lower half, a second tone
  // A door with an arched top, and the keyhole cut through it.
  const door = union(roundedRect(0.3, 0.36, 0.7, 0.84, 0.03), circle(0.5, 0.38, 0.2));
  const doorFrame = (x, y) => Math.max(door(x, y), y - 0.84);
  const hole = union(circle(0.5, 0.5, 0.065), trapezoid(0.5, 0.51, 0.68, 0.028, 0.055));
  return [
    { shape: tile, color: hex('#1b6f7a') },
    { shape: tileLow, color: hex('#155a66') },
    { shape: subtract(doorFrame, hole), color: hex('#f6f8fa') },
    { shape: segment(0.24, 0.86, 0.76, 0.86, 0.012), color: hex('#f6f8fa', 0.6) },
  ];
}

// ---------- Output ----------

function write(relPath, size, layers) {
  const file = path.join(HERE, relPath);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, encodePng(size, render(size, layers)));
  return relPath;
}

function main() {
  const written = [];
  for (const state of TRAY_STATES) {
    // Linux and Windows: 16 px (Windows, small panels) and 22 px (GNOME/KDE), @2x beside each.
    for (const variant of ['light', 'dark']) {
      for (const base of [16, 22]) {
        const layers = trayLayers(state, { ink: PLATE[variant], template: false });
        written.push(write(`tray/tray-${state}-${variant}-${base}.png`, base, layers));
        written.push(write(`tray/tray-${state}-${variant}-${base}@2x.png`, base * 2, layers));
      }
    }
    // macOS: template images (the name must end in "Template"); the menu bar tints them.
    const template = trayLayers(state, { ink: '#000000', template: true });
    written.push(write(`tray/tray-${state}Template.png`, 16, template));
    written.push(write(`tray/tray-${state}Template@2x.png`, 32, template));
  }
  written.push(write('app/icon-512.png', 512, appIconLayers()));
  written.push(write('app/icon-256.png', 256, appIconLayers()));
  console.log(`wrote ${written.length} icons under ${path.relative(process.cwd(), HERE) || '.'}/`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.join(HERE, 'generate-icons.mjs')) main();
