import Foundation
import Imaging

/// Draws a `Canvas` into an Colour pixel buffer and encodes it as PNG with `Imaging.Image`, so PNG
/// charts need no browser, Python or external rasteriser. No anti-aliasing: the shapes are axis
/// lines, curves and bars, and `scale` 2 keeps them smooth enough to read.
public struct Raster {
    public let width: Int
    public let height: Int
    public private(set) var pixels: [UInt8]
    let scale: Double

    public init(_ canvas: Canvas, scale: Int = 2) {
        self.scale = Double(scale)
        width = canvas.width * scale
        height = canvas.height * scale
        pixels = [UInt8](repeating: 255, count: width * height * 3)
        for s in canvas.shapes { draw(s) }
    }

    public func pngData() throws -> Data {
        try Image(width: width, height: height, pixels: pixels).pngData()
    }

    /// The colour at a pixel (tests look at what was drawn).
    public func pixel(_ x: Int, _ y: Int) -> Colour {
        let i = (y * width + x) * 3
        return Colour(pixels[i], pixels[i + 1], pixels[i + 2])
    }

    mutating func set(_ x: Int, _ y: Int, _ c: Colour) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        let i = (y * width + x) * 3
        pixels[i] = c.r; pixels[i + 1] = c.g; pixels[i + 2] = c.b
    }

    /// Fills the pixel rectangle [x0, x1) x [y0, y1) given in canvas units.
    mutating func fill(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double, _ c: Colour) {
        let a = Int((x0 * scale).rounded()), b = Int((x1 * scale).rounded())
        let top = Int((y0 * scale).rounded()), bottom = Int((y1 * scale).rounded())
        guard a < b, top < bottom else { return }
        for y in max(top, 0) ..< min(bottom, height) { for x in max(a, 0) ..< min(b, width) { set(x, y, c) } }
    }

    mutating func draw(_ shape: Shape) {
        switch shape {
        case let .polyline(points, color, w, dashed):
            polyline(points, color, width: w, dashed: dashed)
        case let .rect(x, y, w, h, fill, stroke):
            if let fill { self.fill(x, y, x + w, y + h, fill) }
            if let stroke {
                let t = 1 / scale
                self.fill(x, y, x + w, y + t, stroke); self.fill(x, y + h - t, x + w, y + h, stroke)
                self.fill(x, y, x + t, y + h, stroke); self.fill(x + w - t, y, x + w, y + h, stroke)
            }
        case let .circle(cx, cy, r, fill):
            let rr = r * scale, x0 = Int(cx * scale), y0 = Int(cy * scale), n = Int(rr.rounded(.up))
            for dy in -n ... n { for dx in -n ... n where Double(dx * dx + dy * dy) <= rr * rr { set(x0 + dx, y0 + dy, fill) } }
        case let .text(s, x, y, size, anchor, color, bold, vertical):
            text(s, x, y, size: size, anchor: anchor, color: color, bold: bold, vertical: vertical)
        }
    }

    /// Stamps a square brush every half pixel along each segment; dashes follow the SVG's 5,4 pattern.
    mutating func polyline(_ points: [(Double, Double)], _ color: Colour, width: Double, dashed: Bool) {
        let brush = max(1, Int((width * scale).rounded())), half = Double(brush) / 2
        var travelled = 0.0
        for (p, q) in zip(points, points.dropFirst()) {
            let dx = (q.0 - p.0) * scale, dy = (q.1 - p.1) * scale
            let length = (dx * dx + dy * dy).squareRoot(), steps = max(1, Int((length * 2).rounded(.up)))
            for k in 0 ... steps {
                let t = Double(k) / Double(steps)
                if dashed && (travelled + t * length / scale).truncatingRemainder(dividingBy: 9) >= 5 { continue }
                let x = p.0 * scale + dx * t - half, y = p.1 * scale + dy * t - half
                let xi = Int(x.rounded()), yi = Int(y.rounded())
                for by in 0 ..< brush { for bx in 0 ..< brush { set(xi + bx, yi + by, color) } }
            }
            travelled += length / scale
        }
    }

    /// 5 x 7 glyphs scaled to about the requested size; `y` is the baseline as in SVG.
    mutating func text(_ s: String, _ x: Double, _ y: Double, size: Double, anchor: TextAnchor, color: Colour, bold: Bool,
                       vertical: Bool) {
        let g = max(1, Int((size * scale / 9).rounded()))
        let advance = (BitmapFont.width + 1) * g
        let total = s.count * advance - g
        let start = anchor == .start ? 0 : anchor == .middle ? -total / 2 : -total
        let ox = Int((x * scale).rounded()), oy = Int((y * scale).rounded())
        for (k, ch) in s.enumerated() {
            for (row, bits) in BitmapFont.glyph(ch).enumerated() {
                for (col, on) in bits.enumerated() where on {
                    for sy in 0 ..< g {
                        for sx in 0 ..< g + (bold ? 1 : 0) {
                            let u = start + k * advance + col * g + sx        // along the text
                            let v = (row - BitmapFont.height) * g + sy + 1    // below the baseline
                            if vertical { set(ox + v, oy - u, color) } else { set(ox + u, oy + v, color) }
                        }
                    }
                }
            }
        }
    }
}
