import Foundation

/// An sRGB colour.
public struct Colour: Sendable, Equatable {
    public var r: UInt8, g: UInt8, b: UInt8
    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) { self.r = r; self.g = g; self.b = b }
    public var hex: String { String(format: "#%02x%02x%02x", r, g, b) }

    public static let black = Colour(0, 0, 0), white = Colour(255, 255, 255), grid = Colour(225, 225, 225)
    public static let axis = Colour(90, 90, 90), text = Colour(30, 30, 30), faint = Colour(160, 160, 160)
    /// Series colours, distinguishable in print and for common colour blindness (Okabe-Ito).
    public static let palette = [Colour(0, 114, 178), Colour(213, 94, 0), Colour(0, 158, 115), Colour(204, 121, 167),
                                 Colour(230, 159, 0), Colour(86, 180, 233), Colour(240, 228, 66), Colour(0, 0, 0)]

    /// White through blue for heat maps, `t` in [0, 1].
    public static func heat(_ t: Double) -> Colour {
        let u = max(0, min(1, t.isFinite ? t : 0))
        func mix(_ a: Double, _ b: Double) -> UInt8 { UInt8((a + (b - a) * u).rounded()) }
        return Colour(mix(247, 8), mix(251, 69), mix(255, 148))
    }
}

public enum TextAnchor: String, Sendable { case start, middle, end }

/// What a chart is drawn from: the same shapes become inline SVG for the page and pixels for the
/// PNG, so the two never disagree.
public enum Shape: Sendable {
    case polyline(points: [(Double, Double)], color: Colour, width: Double, dashed: Bool)
    case rect(x: Double, y: Double, width: Double, height: Double, fill: Colour?, stroke: Colour?)
    case circle(x: Double, y: Double, radius: Double, fill: Colour)
    /// `y` is the baseline; `vertical` text reads bottom to top (y-axis labels).
    case text(String, x: Double, y: Double, size: Double, anchor: TextAnchor, color: Colour, bold: Bool, vertical: Bool)
}

/// A drawing in pixel units, origin at the top left.
public struct Canvas: Sendable {
    public var width: Int
    public var height: Int
    public var title: String
    public var shapes: [Shape] = []

    public init(width: Int, height: Int, title: String) {
        self.width = width
        self.height = height
        self.title = title
    }

    public mutating func add(_ s: Shape) { shapes.append(s) }

    public mutating func line(_ points: [(Double, Double)], _ color: Colour, width: Double = 1.5, dashed: Bool = false) {
        add(.polyline(points: points, color: color, width: width, dashed: dashed))
    }

    public mutating func text(_ s: String, _ x: Double, _ y: Double, size: Double = 11, anchor: TextAnchor = .start,
                              color: Colour = .text, bold: Bool = false, vertical: Bool = false) {
        add(.text(s, x: x, y: y, size: size, anchor: anchor, color: color, bold: bold, vertical: vertical))
    }

    /// Approximate advance of a string, for layout (both renderers use about 0.6 em per character).
    public static func textWidth(_ s: String, size: Double) -> Double { Double(s.count) * size * 0.6 }

    /// Inline SVG (no external fonts or scripts): a generic sans-serif family.
    public func svg() -> String {
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" "
            + "viewBox=\"0 0 \(width) \(height)\" font-family=\"sans-serif\" role=\"img\">"
            + "<title>\(Canvas.escape(title))</title>"
            + "<rect x=\"0\" y=\"0\" width=\"\(width)\" height=\"\(height)\" fill=\"#ffffff\"/>"
        for s in shapes {
            switch s {
            case let .polyline(points, color, width, dashed):
                let p = points.map { "\(Canvas.n($0.0)),\(Canvas.n($0.1))" }.joined(separator: " ")
                out += "<polyline points=\"\(p)\" fill=\"none\" stroke=\"\(color.hex)\" stroke-width=\"\(Canvas.n(width))\""
                    + (dashed ? " stroke-dasharray=\"5,4\"" : "") + " stroke-linejoin=\"round\"/>"
            case let .rect(x, y, w, h, fill, stroke):
                out += "<rect x=\"\(Canvas.n(x))\" y=\"\(Canvas.n(y))\" width=\"\(Canvas.n(w))\" height=\"\(Canvas.n(h))\" "
                    + "fill=\"\(fill?.hex ?? "none")\"" + (stroke.map { " stroke=\"\($0.hex)\"" } ?? "") + "/>"
            case let .circle(x, y, r, fill):
                out += "<circle cx=\"\(Canvas.n(x))\" cy=\"\(Canvas.n(y))\" r=\"\(Canvas.n(r))\" fill=\"\(fill.hex)\"/>"
            case let .text(s, x, y, size, anchor, color, bold, vertical):
                out += "<text x=\"\(Canvas.n(x))\" y=\"\(Canvas.n(y))\" font-size=\"\(Canvas.n(size))\" "
                    + "text-anchor=\"\(anchor.rawValue)\" fill=\"\(color.hex)\"" + (bold ? " font-weight=\"bold\"" : "")
                    + (vertical ? " transform=\"rotate(-90 \(Canvas.n(x)) \(Canvas.n(y)))\"" : "")
                    + ">\(Canvas.escape(s))</text>"
            }
        }
        return out + "</svg>"
    }

    /// Two decimals are enough for pixels and keep the page small.
    static func n(_ v: Double) -> String {
        let r = (v * 100).rounded() / 100
        return r == r.rounded() ? String(Int(r)) : String(r)
    }

    /// XML text escaping (also used by the HTML page).
    public static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
