import Foundation
import Torch

/// A problem with a submission or OOF file the user gave: the message names the file, the line and
/// the column.
public struct SubmissionError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A small RFC 4180 reader that remembers the line each record starts on, so errors can point at it.
/// (Submissions are two columns of a few thousand rows; no need for more machinery.)
struct PipelineCSV {
    var header: [String]
    var rows: [[String]]
    var lines: [Int]   // 1-based line number where each row starts
    let path: String

    init(url: URL) throws {
        path = url.path
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw SubmissionError("\(url.path): cannot read: \(error.localizedDescription)")
        }
        guard var text = String(data: data, encoding: .utf8) else {
            throw SubmissionError("\(url.path): not UTF-8 text")
        }
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        var records: [[String]] = [], starts: [Int] = []
        var field = "", record: [String] = [], inQuotes = false, line = 1, recordLine = 1, afterQuote = false
        var chars = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        func endRecord() {
            record.append(field)
            // A blank line is not a record (pandas skips them too).
            if !(record.count == 1 && record[0].isEmpty) { records.append(record); starts.append(recordLine) }
            record = []; field = ""
        }
        while let c = pending ?? chars.next() {
            pending = nil
            if inQuotes {
                if c == "\"" {
                    if let n = chars.next() {
                        if n == "\"" { field.unicodeScalars.append("\"") } else { inQuotes = false; afterQuote = true; pending = n }
                    } else { inQuotes = false }
                } else {
                    if c == "\n" { line += 1 }
                    field.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case "\"" where field.isEmpty && !afterQuote: inQuotes = true
            case ",": record.append(field); field = ""; afterQuote = false
            case "\r": continue
            case "\n":
                endRecord(); afterQuote = false
                line += 1; recordLine = line
            default: field.unicodeScalars.append(c)
            }
        }
        if inQuotes { throw SubmissionError("\(url.path) line \(recordLine): unterminated quoted field") }
        if !field.isEmpty || !record.isEmpty { endRecord() }
        guard let first = records.first else { throw SubmissionError("\(url.path): empty file (no header)") }
        header = first.map { $0.trimmingCharacters(in: .whitespaces) }
        rows = Array(records.dropFirst())
        lines = Array(starts.dropFirst())
        for (r, row) in rows.enumerated() where row.count != header.count {
            throw SubmissionError(
                "\(path) line \(lines[r]): \(row.count) fields, the header has \(header.count) (\(header.joined(separator: ",")))")
        }
    }

    func column(_ name: String) throws -> Int {
        guard let i = header.firstIndex(of: name) else {
            throw SubmissionError("\(path): no column '\(name)' (columns: \(header.joined(separator: ",")))")
        }
        return i
    }

    func double(row r: Int, column c: Int) throws -> Double {
        let s = rows[r][c].trimmingCharacters(in: .whitespaces)
        guard let v = Double(s) else {
            throw SubmissionError("\(path) line \(lines[r]), column \(header[c]): '\(s)' is not a number")
        }
        return v
    }

    func int(row r: Int, column c: Int) throws -> Int {
        let s = rows[r][c].trimmingCharacters(in: .whitespaces)
        // pandas writes integer columns that passed through floats as "1.0"
        if let v = Int(s) { return v }
        if let d = Double(s), d == d.rounded(), abs(d) < 1e15 { return Int(d) }
        throw SubmissionError("\(path) line \(lines[r]), column \(header[c]): '\(s)' is not an integer")
    }

    /// Quotes a field only when CSV needs it.
    static func escape(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Writes text through a temporary file and a rename.
    static func write(_ text: String, to url: URL) throws {
        try writeAtomically(to: url) { tmp in try Data(text.utf8).write(to: tmp) }
    }
}

/// A Kaggle submission: `image_name,target`, one row per test image, in test.csv order.
public struct Submission: Sendable, Equatable {
    public var imageNames: [String]
    public var targets: [Double]

    public init(imageNames: [String], targets: [Double]) {
        precondition(imageNames.count == targets.count, "one target per image")
        self.imageNames = imageNames
        self.targets = targets
    }

    public var count: Int { imageNames.count }

    /// Reads `image_name,target` (other columns are ignored). Empty, non-numeric or NaN targets,
    /// duplicate or empty image names are errors naming the line.
    public static func read(_ url: URL) throws -> Submission {
        let csv = try PipelineCSV(url: url)
        let n = try csv.column("image_name"), t = try csv.column("target")
        var names: [String] = [], targets: [Double] = []
        var seen: [String: Int] = [:]
        names.reserveCapacity(csv.rows.count)
        for r in csv.rows.indices {
            let name = csv.rows[r][n].trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty else { throw SubmissionError("\(url.path) line \(csv.lines[r]), column image_name: empty") }
            if let prev = seen[name] {
                throw SubmissionError(
                    "\(url.path) line \(csv.lines[r]), column image_name: '\(name)' already appears on line \(prev)")
            }
            seen[name] = csv.lines[r]
            let v = try csv.double(row: r, column: t)
            guard !v.isNaN else { throw SubmissionError("\(url.path) line \(csv.lines[r]), column target: NaN") }
            names.append(name)
            targets.append(v)
        }
        guard !names.isEmpty else { throw SubmissionError("\(url.path): no rows after the header") }
        return Submission(imageNames: names, targets: targets)
    }

    /// Writes `image_name,target` atomically; numbers are the shortest text that reads back exactly.
    public func write(to url: URL) throws {
        var text = "image_name,target\n"
        text.reserveCapacity(count * 32)
        for (name, v) in zip(imageNames, targets) { text += "\(PipelineCSV.escape(name)),\(v)\n" }
        try PipelineCSV.write(text, to: url)
    }
}

/// One out-of-fold prediction: the validation row, its fold, whether it is external (2019) data,
/// the binary melanoma label and the melanoma probability.
public struct OOFPrediction: Sendable, Equatable {
    public var imageName: String
    public var fold: Int
    public var isExt: Bool
    public var target: Int
    public var pred: Double

    public init(imageName: String, fold: Int, isExt: Bool, target: Int, pred: Double) {
        self.imageName = imageName
        self.fold = fold
        self.isExt = isExt
        self.target = target
        self.pred = pred
    }
}

/// The OOF CSV `evaluate` writes: `image_name,fold,is_ext,target,pred`, fold-0 rows first (the
/// order of the original's `{kernel}_{eval}_oof.npy`).
public enum OOFFile {
    public static let columns = ["image_name", "fold", "is_ext", "target", "pred"]

    public static func write(_ rows: [OOFPrediction], to url: URL) throws {
        var text = columns.joined(separator: ",") + "\n"
        for r in rows {
            text += "\(PipelineCSV.escape(r.imageName)),\(r.fold),\(r.isExt ? 1 : 0),\(r.target),\(r.pred)\n"
        }
        try PipelineCSV.write(text, to: url)
    }

    public static func read(_ url: URL) throws -> [OOFPrediction] {
        try rows(of: try PipelineCSV(url: url), url: url)
    }

    /// The five base columns of an already parsed file (OOFTable reads the class columns too).
    static func rows(of csv: PipelineCSV, url: URL) throws -> [OOFPrediction] {
        let c = try columns.map { try csv.column($0) }
        return try csv.rows.indices.map { r in
            let ext = try csv.int(row: r, column: c[2]), target = try csv.int(row: r, column: c[3])
            guard ext == 0 || ext == 1 else {
                throw SubmissionError("\(url.path) line \(csv.lines[r]), column is_ext: \(ext) is not 0 or 1")
            }
            guard target == 0 || target == 1 else {
                throw SubmissionError("\(url.path) line \(csv.lines[r]), column target: \(target) is not 0 or 1")
            }
            return OOFPrediction(imageName: csv.rows[r][c[0]], fold: try csv.int(row: r, column: c[1]), isExt: ext == 1,
                                 target: target, pred: try csv.double(row: r, column: c[4]))
        }
    }
}
