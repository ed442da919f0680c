import Foundation

/// One self-contained HTML page: inline CSS and SVG, no scripts, fonts or links to other hosts,
/// so it can be mailed or opened from a USB stick.
public struct ReportPage {
    public var title: String
    var body = ""

    public init(title: String) { self.title = title }

    public mutating func heading(_ text: String, level: Int = 2, id: String? = nil) {
        body += "<h\(level)\(id.map { " id=\"\(Canvas.escape($0))\"" } ?? "")>\(Canvas.escape(text))</h\(level)>\n"
    }

    public mutating func paragraph(_ text: String, className: String? = nil) {
        body += "<p\(className.map { " class=\"\($0)\"" } ?? "")>\(Canvas.escape(text))</p>\n"
    }

    /// A table of text cells; the first row is the header.
    public mutating func table(_ rows: [[String]], caption: String? = nil) {
        guard let header = rows.first else { return }
        body += "<table>" + (caption.map { "<caption>\(Canvas.escape($0))</caption>" } ?? "")
        body += "<tr>" + header.map { "<th>\(Canvas.escape($0))</th>" }.joined() + "</tr>"
        for r in rows.dropFirst() { body += "<tr>" + r.map { "<td>\(Canvas.escape($0))</td>" }.joined() + "</tr>" }
        body += "</table>\n"
    }

    /// Charts side by side, wrapping on narrow windows.
    public mutating func charts(_ canvases: [Canvas]) {
        body += "<div class=\"charts\">" + canvases.map { "<figure>\($0.svg())</figure>" }.joined() + "</div>\n"
    }

    public var html: String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(Canvas.escape(title))</title>
        <style>
        body { font-family: sans-serif; margin: 24px; color: #1e1e1e; max-width: 1400px; }
        h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 32px; border-bottom: 1px solid #ccc; }
        h3 { font-size: 15px; margin-top: 20px; }
        table { border-collapse: collapse; margin: 8px 0 16px; font-size: 13px; }
        th, td { border: 1px solid #d0d0d0; padding: 3px 8px; text-align: right; }
        th:first-child, td:first-child { text-align: left; }
        th { background: #f2f4f7; } caption { text-align: left; font-weight: bold; padding: 4px 0; }
        .charts { display: flex; flex-wrap: wrap; gap: 12px; } figure { margin: 0; border: 1px solid #e4e4e4; }
        .note { color: #555; font-size: 13px; }
        </style></head><body>
        <h1>\(Canvas.escape(title))</h1>
        \(body)</body></html>

        """
    }
}
