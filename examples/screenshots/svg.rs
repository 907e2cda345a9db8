//! A ratatui `Buffer` as an SVG picture of a terminal: one `<rect>` per run of background
//! colour, one `<tspan>` per run of text style, each run placed at its own column so the grid
//! holds whatever monospace font the viewer has. Box-drawing characters are drawn as lines,
//! because font glyphs leave gaps between rows.

use std::fmt::Write;

use ratatui::buffer::{Buffer, CellWidth};
use ratatui::style::{Color, Modifier};

/// How the picture looks around the terminal grid.
#[derive(Debug, Clone)]
pub struct Frame {
    pub font_size: f64,
    /// Shown in the window's title bar.
    pub title: String,
}

impl Default for Frame {
    fn default() -> Self {
        Frame {
            font_size: 14.0,
            title: String::new(),
        }
    }
}

const DEFAULT_FG: &str = "#c9d1d9";
const DEFAULT_BG: &str = "#0d1117";
const WINDOW: &str = "#161b22";

/// The 16 ANSI colours, in ANSI order (black, red, ..., white, then the bright ones).
const ANSI: [&str; 16] = [
    "#30363d", "#ff7b72", "#3fb950", "#d29922", "#58a6ff", "#bc8cff", "#39c5cf", "#b1bac4",
    "#6e7681", "#ffa198", "#56d364", "#e3b341", "#79c0ff", "#d2a8ff", "#56d4dd", "#f0f6fc",
];

fn ansi_index(c: Color) -> Option<usize> {
    Some(match c {
        Color::Black => 0,
        Color::Red => 1,
        Color::Green => 2,
        Color::Yellow => 3,
        Color::Blue => 4,
        Color::Magenta => 5,
        Color::Cyan => 6,
        Color::Gray => 7,
        Color::DarkGray => 8,
        Color::LightRed => 9,
        Color::LightGreen => 10,
        Color::LightYellow => 11,
        Color::LightBlue => 12,
        Color::LightMagenta => 13,
        Color::LightCyan => 14,
        Color::White => 15,
        Color::Indexed(i) if i < 16 => i as usize,
        _ => return None,
    })
}

/// A colour as `#rrggbb`; `None` for `Reset` (the terminal's default).
pub fn hex(c: Color) -> Option<String> {
    if let Some(i) = ansi_index(c) {
        return Some(ANSI[i].to_string());
    }
    match c {
        Color::Rgb(r, g, b) => Some(format!("#{r:02x}{g:02x}{b:02x}")),
        Color::Indexed(i) if i >= 232 => {
            let v = 8 + 10 * (i - 232);
            Some(format!("#{v:02x}{v:02x}{v:02x}"))
        }
        Color::Indexed(i) => {
            // The xterm 6x6x6 cube, 16..=231.
            let i = i - 16;
            let level = |n: u8| if n == 0 { 0 } else { 55 + 40 * n };
            let (r, g, b) = (level(i / 36), level((i / 6) % 6), level(i % 6));
            Some(format!("#{r:02x}{g:02x}{b:02x}"))
        }
        _ => None,
    }
}

fn escape(s: &str, out: &mut String) {
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
}

/// The resolved look of one cell's text.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Look {
    fg: String,
    bg: Option<String>,
    bold: bool,
    italic: bool,
    dim: bool,
    underline: bool,
    strike: bool,
    hidden: bool,
}

fn look(cell: &ratatui::buffer::Cell) -> Look {
    let m = cell.modifier;
    let mut fg = hex(cell.fg);
    let mut bg = hex(cell.bg);
    if m.contains(Modifier::REVERSED) {
        let f = fg.take().unwrap_or_else(|| DEFAULT_FG.to_string());
        fg = Some(bg.take().unwrap_or_else(|| DEFAULT_BG.to_string()));
        bg = Some(f);
    }
    Look {
        fg: fg.unwrap_or_else(|| DEFAULT_FG.to_string()),
        bg,
        bold: m.contains(Modifier::BOLD),
        italic: m.contains(Modifier::ITALIC),
        dim: m.contains(Modifier::DIM),
        underline: m.contains(Modifier::UNDERLINED),
        strike: m.contains(Modifier::CROSSED_OUT),
        hidden: m.contains(Modifier::HIDDEN),
    }
}

/// The strokes of a light or heavy box-drawing character, as segments from the cell's centre
/// to its edges (up, right, down, left) with a weight; rounded corners are drawn as arcs.
fn box_strokes(ch: char) -> Option<([u8; 4], bool)> {
    // (up, right, down, left): 0 none, 1 light, 2 heavy, 3 double (drawn heavy).
    let s = match ch {
        '─' => [0, 1, 0, 1],
        '━' => [0, 2, 0, 2],
        '│' => [1, 0, 1, 0],
        '┃' => [2, 0, 2, 0],
        '┌' => [0, 1, 1, 0],
        '┐' => [0, 0, 1, 1],
        '└' => [1, 1, 0, 0],
        '┘' => [1, 0, 0, 1],
        '┏' => [0, 2, 2, 0],
        '┓' => [0, 0, 2, 2],
        '┗' => [2, 2, 0, 0],
        '┛' => [2, 0, 0, 2],
        '├' => [1, 1, 1, 0],
        '┤' => [1, 0, 1, 1],
        '┬' => [0, 1, 1, 1],
        '┴' => [1, 1, 0, 1],
        '┼' => [1, 1, 1, 1],
        '═' => [0, 3, 0, 3],
        '║' => [3, 0, 3, 0],
        '╔' => [0, 3, 3, 0],
        '╗' => [0, 0, 3, 3],
        '╚' => [3, 3, 0, 0],
        '╝' => [3, 0, 0, 3],
        '╭' | '╮' | '╯' | '╰' => return Some(([0; 4], true)),
        _ => return None,
    };
    Some((s, false))
}

struct Geometry {
    cw: f64,
    rh: f64,
    fs: f64,
}

impl Geometry {
    fn line_for(&self, ch: char, x: f64, y: f64, color: &str, out: &mut Strokes) -> bool {
        let Some((strokes, rounded)) = box_strokes(ch) else {
            return false;
        };
        let (cx, cy) = (x + self.cw / 2.0, y + self.rh / 2.0);
        let (x1, y1) = (x + self.cw, y + self.rh);
        let light = (self.fs / 14.0).max(1.0);
        if rounded {
            let r = (self.cw / 2.0).min(self.rh / 2.0);
            // Each corner: a line from one edge to the arc, the arc, a line to the other edge.
            let d = match ch {
                '╭' => format!(
                    "M{x1:.2},{cy:.2}H{:.2}A{r:.2},{r:.2} 0 0 0 {cx:.2},{:.2}V{y1:.2}",
                    cx + r,
                    cy + r
                ),
                '╮' => format!(
                    "M{x:.2},{cy:.2}H{:.2}A{r:.2},{r:.2} 0 0 1 {cx:.2},{:.2}V{y1:.2}",
                    cx - r,
                    cy + r
                ),
                '╯' => format!(
                    "M{x:.2},{cy:.2}H{:.2}A{r:.2},{r:.2} 0 0 0 {cx:.2},{:.2}V{y:.2}",
                    cx - r,
                    cy - r
                ),
                _ => format!(
                    "M{x1:.2},{cy:.2}H{:.2}A{r:.2},{r:.2} 0 0 1 {cx:.2},{:.2}V{y:.2}",
                    cx + r,
                    cy - r
                ),
            };
            let _ = writeln!(
                out.paths,
                r#"<path d="{d}" fill="none" stroke="{color}" stroke-width="{light:.2}"/>"#
            );
            return true;
        }
        let ends = [(cx, y), (x1, cy), (cx, y1), (x, cy)];
        // Left before right and up before down, so each piece continues the one before.
        for i in [3, 1, 0, 2] {
            let w = &strokes[i];
            if *w == 0 {
                continue;
            }
            let width = if *w == 1 { light } else { light * 2.0 };
            let (ex, ey) = ends[i];
            // Overlap the centre by half a stroke so corners join without a notch.
            let (sx, sy) = match i {
                0 => (cx, cy + width / 2.0),
                1 => (cx - width / 2.0, cy),
                2 => (cx, cy - width / 2.0),
                _ => (cx + width / 2.0, cy),
            };
            out.add(Seg {
                x1: sx.min(ex),
                y1: sy.min(ey),
                x2: sx.max(ex),
                y2: sy.max(ey),
                color: color.to_string(),
                width,
            });
        }
        true
    }
}

/// A straight stroke of a box-drawing character.
#[derive(Debug, Clone)]
struct Seg {
    x1: f64,
    y1: f64,
    x2: f64,
    y2: f64,
    color: String,
    width: f64,
}

/// The strokes of all box-drawing characters, with the collinear pieces of one border joined
/// into one line (a 120-column border is one `<line>`, not 240).
#[derive(Default)]
struct Strokes {
    segs: Vec<Seg>,
    /// The horizontal stroke the next one may continue.
    last_h: Option<usize>,
    /// The vertical stroke open in each column, by (x, colour, width).
    open_v: std::collections::HashMap<(i64, String, i64), usize>,
    paths: String,
}

impl Strokes {
    fn add(&mut self, s: Seg) {
        const EPS: f64 = 0.01;
        let joins = |a: &Seg, b: &Seg| a.color == b.color && (a.width - b.width).abs() < EPS;
        if (s.y1 - s.y2).abs() < EPS {
            if let Some(i) = self.last_h {
                let l = &mut self.segs[i];
                if (l.y1 - s.y1).abs() < EPS
                    && joins(l, &s)
                    && s.x1 <= l.x2 + EPS
                    && s.x2 >= l.x1 - EPS
                {
                    l.x1 = l.x1.min(s.x1);
                    l.x2 = l.x2.max(s.x2);
                    return;
                }
            }
            self.last_h = Some(self.segs.len());
            self.segs.push(s);
        } else {
            let key = (
                (s.x1 * 100.0).round() as i64,
                s.color.clone(),
                (s.width * 100.0).round() as i64,
            );
            if let Some(&i) = self.open_v.get(&key) {
                let l = &mut self.segs[i];
                if s.y1 <= l.y2 + EPS && s.y2 >= l.y1 - EPS {
                    l.y1 = l.y1.min(s.y1);
                    l.y2 = l.y2.max(s.y2);
                    return;
                }
            }
            self.open_v.insert(key, self.segs.len());
            self.segs.push(s);
        }
    }

    fn write(&self, out: &mut String) {
        for s in &self.segs {
            let _ = writeln!(
                out,
                r#"<line x1="{:.2}" y1="{:.2}" x2="{:.2}" y2="{:.2}" stroke="{}" stroke-width="{:.2}"/>"#,
                s.x1, s.y1, s.x2, s.y2, s.color, s.width
            );
        }
        out.push_str(&self.paths);
    }
}

/// Render `buf` as a standalone SVG document. `cursor` draws a bar cursor at that cell.
pub fn render(buf: &Buffer, frame: &Frame, cursor: Option<(u16, u16)>) -> String {
    let area = buf.area;
    let fs = frame.font_size;
    // DejaVu Sans Mono's advance is 1233/2048 em; most monospace fonts are within 1% of it.
    let g = Geometry {
        cw: fs * 0.6021,
        rh: (fs * 1.25).round(),
        fs,
    };
    let pad = (fs * 1.1).round();
    let bar = (fs * 2.0).round();
    let grid_w = g.cw * area.width as f64;
    let grid_h = g.rh * area.height as f64;
    let width = (grid_w + 2.0 * pad).ceil();
    let height = (grid_h + 2.0 * pad + bar).ceil();

    let mut out = String::with_capacity(64 * 1024);
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}">"#
    );
    let _ = writeln!(
        out,
        "<style>text{{font-family:'DejaVu Sans Mono','SFMono-Regular',Menlo,Consolas,'Liberation Mono',monospace;font-size:{fs}px;white-space:pre}}.b{{font-weight:bold}}.i{{font-style:italic}}.d{{opacity:.6}}.u{{text-decoration:underline}}.s{{text-decoration:line-through}}</style>"
    );
    // The window: rounded frame, title bar with three dots and a centred title.
    let _ = writeln!(
        out,
        r#"<rect width="{width}" height="{height}" rx="8" fill="{WINDOW}"/>"#
    );
    let _ = writeln!(
        out,
        r#"<rect x="{pad}" y="{top}" width="{grid_w:.2}" height="{grid_h:.2}" fill="{DEFAULT_BG}"/>"#,
        top = pad / 2.0 + bar
    );
    for (i, c) in ["#ff5f57", "#febc2e", "#28c840"].iter().enumerate() {
        let _ = writeln!(
            out,
            r#"<circle cx="{:.1}" cy="{:.1}" r="{:.1}" fill="{c}"/>"#,
            pad + 6.0 + i as f64 * fs * 1.3,
            pad / 2.0 + bar / 2.0,
            fs * 0.42
        );
    }
    if !frame.title.is_empty() {
        out.push_str(&format!(
            r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#8b949e">"##,
            width / 2.0,
            pad / 2.0 + bar / 2.0 + fs * 0.35
        ));
        escape(&frame.title, &mut out);
        out.push_str("</text>\n");
    }
    let _ = writeln!(
        out,
        r#"<g transform="translate({pad},{top})">"#,
        top = pad / 2.0 + bar
    );

    let cells = buf.content();
    let w = area.width as usize;
    let mut text = String::new();
    let mut lines = Strokes::default();
    for row in 0..area.height as usize {
        let line = &cells[row * w..(row + 1) * w];
        let y = row as f64 * g.rh;
        // Backgrounds: one rect per run of the same colour.
        let mut col = 0;
        while col < w {
            let bg = look(&line[col]).bg;
            let start = col;
            while col < w && look(&line[col]).bg == bg {
                col += 1;
            }
            if let Some(bg) = bg {
                let _ = writeln!(
                    out,
                    r#"<rect x="{:.2}" y="{y:.2}" width="{:.2}" height="{:.2}" fill="{bg}"/>"#,
                    start as f64 * g.cw,
                    (col - start) as f64 * g.cw + 0.3,
                    g.rh + 0.3
                );
            }
        }
        // Text: one tspan per run of the same look, placed at its first column.
        let baseline = y + (g.rh - fs) / 2.0 + fs * 0.8;
        let _ = write!(text, r#"<text y="{baseline:.2}" xml:space="preserve">"#);
        let mut run: Option<(usize, Look, String)> = None;
        let mut skip = 0u16;
        let flush = |run: &mut Option<(usize, Look, String)>, text: &mut String| {
            if let Some((start, l, s)) = run.take() {
                if s.trim().is_empty() && !l.underline && !l.strike {
                    return;
                }
                // Leading spaces become a later start, so no renderer can collapse them.
                let lead = if l.underline || l.strike {
                    0
                } else {
                    s.len() - s.trim_start_matches(' ').len()
                };
                let (start, s) = (start + lead, &s[lead..]);
                let mut class = Vec::new();
                for (on, c) in [
                    (l.bold, "b"),
                    (l.italic, "i"),
                    (l.dim, "d"),
                    (l.underline, "u"),
                    (l.strike, "s"),
                ] {
                    if on {
                        class.push(c);
                    }
                }
                let class = if class.is_empty() {
                    String::new()
                } else {
                    format!(r#" class="{}""#, class.join(" "))
                };
                let _ = write!(
                    text,
                    r#"<tspan x="{:.2}" fill="{}"{class}>"#,
                    start as f64 * g.cw,
                    l.fg
                );
                escape(s.trim_end(), text);
                text.push_str("</tspan>");
            }
        };
        for (col, cell) in line.iter().enumerate() {
            let this_skip = skip;
            skip = skip.max(cell.cell_width()).saturating_sub(1);
            if this_skip > 0 {
                continue;
            }
            let l = look(cell);
            let sym = cell.symbol();
            let ch = sym.chars().next().unwrap_or(' ');
            if !l.hidden && g.line_for(ch, col as f64 * g.cw, y, &l.fg, &mut lines) {
                flush(&mut run, &mut text);
                continue;
            }
            let sym = if l.hidden { " " } else { sym };
            // A new run starts on a change of look, and after a wide character so that the
            // next run is placed on the grid again.
            match &mut run {
                Some((_, rl, s)) if *rl == l && cell.cell_width() == 1 => s.push_str(sym),
                _ => {
                    flush(&mut run, &mut text);
                    run = Some((col, l, sym.to_string()));
                }
            }
            if cell.cell_width() > 1 {
                flush(&mut run, &mut text);
            }
        }
        flush(&mut run, &mut text);
        text.push_str("</text>\n");
    }
    lines.write(&mut out);
    out.push_str(&text);
    if let Some((cx, cy)) = cursor
        && cx < area.width
        && cy < area.height
    {
        let _ = writeln!(
            out,
            r#"<rect x="{:.2}" y="{:.2}" width="{:.2}" height="{:.2}" fill="{DEFAULT_FG}"/>"#,
            cx as f64 * g.cw,
            cy as f64 * g.rh + 1.0,
            (fs / 7.0).max(1.5),
            g.rh - 2.0
        );
    }
    out.push_str("</g>\n</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;
    use ratatui::style::{Style, Stylize};
    use ratatui::text::{Line, Span};
    use ratatui::widgets::{Block, Widget};

    fn buffer(w: u16, h: u16) -> Buffer {
        Buffer::empty(Rect::new(0, 0, w, h))
    }

    #[test]
    fn one_tspan_per_style_run_at_its_column() {
        let mut buf = buffer(20, 1);
        Line::from(vec!["ab".into(), "cd".red().bold(), "ef".into()]).render(buf.area, &mut buf);
        let svg = render(&buf, &Frame::default(), None);
        let tspans: Vec<&str> = svg
            .match_indices("<tspan")
            .map(|(i, _)| &svg[i..])
            .collect();
        assert_eq!(tspans.len(), 3, "{svg}");
        assert!(
            tspans[0].starts_with(r##"<tspan x="0.00" fill="#c9d1d9">ab</tspan>"##),
            "{}",
            tspans[0]
        );
        let cw = 14.0 * 0.6021;
        assert!(
            tspans[1].starts_with(&format!(
                r##"<tspan x="{:.2}" fill="#ff7b72" class="b">cd</tspan>"##,
                2.0 * cw
            )),
            "{}",
            tspans[1]
        );
        assert!(tspans[2].starts_with(&format!(
            r##"<tspan x="{:.2}" fill="#c9d1d9">ef</tspan>"##,
            4.0 * cw
        )));
    }

    #[test]
    fn leading_spaces_move_the_start_of_a_run() {
        let mut buf = buffer(20, 1);
        Line::from(vec!["Enter".cyan(), "  next".into()]).render(buf.area, &mut buf);
        let svg = render(&buf, &Frame::default(), None);
        let cw = 14.0 * 0.6021;
        assert!(
            svg.contains(&format!(
                r##"<tspan x="{:.2}" fill="#c9d1d9">next</tspan>"##,
                7.0 * cw
            )),
            "{svg}"
        );
        assert!(svg.contains(r#"xml:space="preserve""#));
    }

    #[test]
    fn text_is_escaped_and_reversed_swaps_colours() {
        let mut buf = buffer(10, 1);
        Line::from(Span::styled("<a&b>", Style::new().reversed())).render(buf.area, &mut buf);
        let svg = render(&buf, &Frame::default(), None);
        assert!(
            svg.contains(r##"fill="#0d1117">&lt;a&amp;b&gt;</tspan>"##),
            "{svg}"
        );
        // The reversed run's background is the default foreground.
        assert!(
            svg.contains(&format!(
                r##"width="{:.2}" height="18.30" fill="#c9d1d9"/>"##,
                5.0 * 14.0 * 0.6021 + 0.3
            )),
            "{svg}"
        );
    }

    #[test]
    fn borders_are_lines_not_glyphs() {
        let mut buf = buffer(6, 3);
        Block::bordered().render(buf.area, &mut buf);
        let svg = render(&buf, &Frame::default(), None);
        assert!(!svg.contains('│') && !svg.contains('┌'), "{svg}");
        // One line per side: the pieces of each cell are joined.
        assert_eq!(svg.matches("<line ").count(), 4, "{svg}");
    }

    #[test]
    fn wide_characters_keep_the_grid() {
        let mut buf = buffer(8, 1);
        Line::from("日本x").render(buf.area, &mut buf);
        let svg = render(&buf, &Frame::default(), None);
        let cw = 14.0 * 0.6021;
        assert!(
            svg.contains(&format!(
                r##"<tspan x="{:.2}" fill="#c9d1d9">x</tspan>"##,
                4.0 * cw
            )),
            "{svg}"
        );
    }

    #[test]
    fn palette() {
        assert_eq!(hex(Color::Reset), None);
        assert_eq!(hex(Color::Rgb(1, 2, 255)).as_deref(), Some("#0102ff"));
        assert_eq!(hex(Color::Indexed(196)).as_deref(), Some("#ff0000"));
        assert_eq!(hex(Color::Indexed(232)).as_deref(), Some("#080808"));
        assert_eq!(hex(Color::Indexed(9)), hex(Color::LightRed));
    }
}
