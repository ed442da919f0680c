import Foundation

/// One line of a line chart. NaN y values break the line (an epoch whose AUC was undefined).
public struct Series: Sendable {
    public var name: String
    public var color: Colour
    public var points: [(Double, Double)]
    public var dashed: Bool

    public init(_ name: String, _ color: Colour, _ points: [(Double, Double)], dashed: Bool = false) {
        self.name = name
        self.color = color
        self.points = points
        self.dashed = dashed
    }
}

/// The report's chart kinds, drawn onto a `Canvas`: line charts (curves, training history), bar
/// charts (histograms, per-fold AUC) and annotated heat maps (confusion matrix, rank correlation).
public enum Charts {
    public static let width = 440, height = 300
    static let left = 58.0, right = 16.0, top = 30.0, bottom = 44.0

    /// Axis frame: title, grid, ticks and labels; returns the data-to-pixel mapping.
    struct Frame {
        var x: ClosedRange<Double>, y: ClosedRange<Double>
        var w: Double, h: Double
        func px(_ v: Double) -> Double { left + (v - x.lowerBound) / (x.upperBound - x.lowerBound) * (w - left - right) }
        func py(_ v: Double) -> Double { h - bottom - (v - y.lowerBound) / (y.upperBound - y.lowerBound) * (h - top - bottom) }
    }

    static func frame(_ c: inout Canvas, x: ClosedRange<Double>, y: ClosedRange<Double>, xLabel: String, yLabel: String,
                      xTicks: [(Double, String)]? = nil) -> Frame {
        let f = Frame(x: x, y: y, w: Double(c.width), h: Double(c.height))
        c.text(c.title, Double(c.width) / 2, 19, size: 13, anchor: .middle, bold: true)
        for (v, label) in ticks(y) {
            c.line([(left, f.py(v)), (f.w - right, f.py(v))], .grid, width: 1)
            c.text(label, left - 5, f.py(v) + 4, size: 10, anchor: .end)
        }
        for (v, label) in xTicks ?? ticks(x) {
            c.line([(f.px(v), f.h - bottom), (f.px(v), f.h - bottom + 4)], .axis, width: 1)
            c.text(label, f.px(v), f.h - bottom + 15, size: 10, anchor: .middle)
        }
        c.add(.rect(x: left, y: top, width: f.w - left - right, height: f.h - top - bottom, fill: nil, stroke: .axis))
        c.text(xLabel, (left + f.w - right) / 2, f.h - 8, size: 11, anchor: .middle)
        c.text(yLabel, 14, (top + f.h - bottom) / 2, size: 11, anchor: .middle, vertical: true)
        return f
    }

    /// About five round tick values (1, 2 or 5 times a power of ten) inside `r`.
    static func ticks(_ r: ClosedRange<Double>) -> [(Double, String)] {
        let span = r.upperBound - r.lowerBound
        guard span > 0, span.isFinite else { return [(r.lowerBound, format(r.lowerBound, step: 1))] }
        let raw = span / 5, mag = pow(10, (log10(raw)).rounded(.down))
        let step = [1.0, 2, 5, 10].map { $0 * mag }.first { $0 >= raw } ?? 10 * mag
        var out: [(Double, String)] = []
        var v = (r.lowerBound / step).rounded(.up) * step
        while v <= r.upperBound + step * 1e-9 { out.append((v, format(v, step: step))); v += step }
        return out
    }

    static func format(_ v: Double, step: Double) -> String {
        // 0.2 -> 1 decimal, 0.05 -> 2, 5 -> 0
        let digits = max(0, Int((-log10(step)).rounded(.up)))
        return String(format: "%.\(min(digits, 6))f", abs(v) < step * 1e-9 ? 0 : v)
    }

    /// A padded range around finite values (a flat series gets a unit-wide range).
    public static func range(_ values: [Double], pad: Double = 0.05) -> ClosedRange<Double> {
        let v = values.filter(\.isFinite)
        guard let lo = v.min(), let hi = v.max() else { return 0 ... 1 }
        if hi - lo < 1e-12 { return (lo - 0.5) ... (hi + 0.5) }
        let p = (hi - lo) * pad
        return (lo - p) ... (hi + p)
    }

    static func legend(_ c: inout Canvas, _ entries: [(String, Colour)], at corner: (Double, Double), alignRight: Bool) {
        let longest = entries.map { Canvas.textWidth($0.0, size: 10) }.max() ?? 0
        let x0 = alignRight ? corner.0 - longest - 26 : corner.0
        for (k, (name, color)) in entries.enumerated() {
            let y = corner.1 + Double(k) * 14
            c.line([(x0, y - 3.5), (x0 + 16, y - 3.5)], color, width: 2.5)
            c.text(name, x0 + 21, y, size: 10)
        }
    }

    public enum LegendPlace: Sendable { case topRight, bottomRight, topLeft }

    public static func lines(title: String, xLabel: String, yLabel: String, series: [Series],
                             x: ClosedRange<Double>? = nil, y: ClosedRange<Double>? = nil, diagonal: Bool = false,
                             legend place: LegendPlace = .bottomRight, notes: [String] = []) -> Canvas {
        var c = Canvas(width: width, height: height, title: title)
        let xs = series.flatMap { $0.points.map(\.0) }, ys = series.flatMap { $0.points.map(\.1) }
        let f = frame(&c, x: x ?? range(xs, pad: 0), y: y ?? range(ys), xLabel: xLabel, yLabel: yLabel)
        if diagonal {
            c.line([(f.px(f.x.lowerBound), f.py(f.y.lowerBound)), (f.px(f.x.upperBound), f.py(f.y.upperBound))],
                   .faint, width: 1, dashed: true)
        }
        for s in series {
            // Split at non-finite values; a lone point becomes a dot so it stays visible.
            var run: [(Double, Double)] = []
            func flush() {
                if run.count == 1 { c.add(.circle(x: run[0].0, y: run[0].1, radius: 2.5, fill: s.color)) }
                if run.count > 1 { c.line(run, s.color, width: 2, dashed: s.dashed) }
                run = []
            }
            for (px, py) in s.points {
                if px.isFinite && py.isFinite { run.append((f.px(px), f.py(py))) } else { flush() }
            }
            flush()
        }
        let entries = series.map { ($0.name, $0.color) } + notes.map { ($0, Colour.white) }
        switch place {
        case .topRight: legend(&c, entries, at: (f.w - right - 6, top + 14), alignRight: true)
        case .topLeft: legend(&c, entries, at: (left + 8, top + 14), alignRight: false)
        case .bottomRight:
            legend(&c, entries, at: (f.w - right - 6, f.h - bottom - 8 - Double(entries.count - 1) * 14), alignRight: true)
        }
        return c
    }

    /// Bars over numeric intervals; several series share each interval side by side.
    public static func bars(title: String, xLabel: String, yLabel: String, intervals: [(Double, Double)],
                            series: [(name: String, color: Colour, values: [Double])], y: ClosedRange<Double>? = nil,
                            xTicks: [(Double, String)]? = nil, labels: Bool = false) -> Canvas {
        var c = Canvas(width: width, height: height, title: title)
        let lo = intervals.map(\.0).min() ?? 0, hi = intervals.map(\.1).max() ?? 1
        let highest = series.flatMap(\.values).filter(\.isFinite).max() ?? 1
        let f = frame(&c, x: lo ... hi, y: y ?? 0 ... max(highest * 1.12, 1e-9), xLabel: xLabel, yLabel: yLabel, xTicks: xTicks)
        let k = Double(max(series.count, 1))
        for (s, item) in series.enumerated() {
            for (i, (a, b)) in intervals.enumerated() where i < item.values.count && item.values[i].isFinite {
                let w = (b - a) / k, x0 = a + w * Double(s)
                let v = max(item.values[i], f.y.lowerBound)
                c.add(.rect(x: f.px(x0) + 0.5, y: f.py(v), width: max(f.px(x0 + w) - f.px(x0) - 1, 1),
                            height: f.py(f.y.lowerBound) - f.py(v), fill: item.color, stroke: nil))
                if labels {
                    c.text(String(format: "%.4f", item.values[i]), f.px(x0 + w / 2), f.py(v) - 4, size: 9, anchor: .middle)
                }
            }
        }
        if series.count > 1 { legend(&c, series.map { ($0.name, $0.color) }, at: (f.w - right - 6, top + 14), alignRight: true) }
        return c
    }

    /// A matrix of numbers on a white-to-blue scale (`values / scale`), each cell labelled.
    public static func heatmap(title: String, rowTitle: String, columnTitle: String, rows: [String], columns: [String],
                               values: [[Double]], scale: Double, format: (Double) -> String) -> Canvas {
        let cell = rows.count > 6 ? 40.0 : 56.0
        let labelW = min(150, (rows.map { Canvas.textWidth($0, size: 10) }.max() ?? 0) + 30)
        let w = Int(labelW + cell * Double(columns.count) + 20), h = Int(70 + cell * Double(rows.count) + 60)
        var c = Canvas(width: max(w, 300), height: h, title: title)
        c.text(title, Double(c.width) / 2, 19, size: 13, anchor: .middle, bold: true)
        let x0 = labelW, y0 = 44.0
        for (i, row) in values.enumerated() {
            for (j, v) in row.enumerated() {
                let t = scale > 0 ? v / scale : 0
                c.add(.rect(x: x0 + Double(j) * cell, y: y0 + Double(i) * cell, width: cell, height: cell,
                            fill: .heat(t), stroke: .white))
                c.text(format(v), x0 + (Double(j) + 0.5) * cell, y0 + (Double(i) + 0.5) * cell + 4, size: 10,
                       anchor: .middle, color: t > 0.55 ? .white : .text)
            }
            c.text(rows[i], x0 - 5, y0 + (Double(i) + 0.5) * cell + 4, size: 10, anchor: .end)
        }
        let bottomY = y0 + cell * Double(rows.count)
        for (j, name) in columns.enumerated() {
            // Long names go vertical so neighbours do not overlap.
            let vertical = Canvas.textWidth(name, size: 10) > cell - 4
            c.text(name, x0 + (Double(j) + 0.5) * cell + (vertical ? 4 : 0), bottomY + (vertical ? 6 : 14), size: 10,
                   anchor: vertical ? .end : .middle, vertical: vertical)
        }
        c.text(columnTitle, x0 + cell * Double(columns.count) / 2, Double(h) - 6, size: 11, anchor: .middle)
        c.text(rowTitle, 12, y0 + cell * Double(rows.count) / 2, size: 11, anchor: .middle, vertical: true)
        return c
    }
}
