import Foundation

/// An OOF file with every class probability, so reports can draw 9- or 4-class confusion matrices.
///
/// On disk: the five columns of `OOFFile` (`image_name,fold,is_ext,target,pred`, unchanged so
/// older readers keep working), then `class` (the true class index) and one `prob_<class name>`
/// per class in the model's output order. Files written before these columns existed still load:
/// `classNames` and `probabilities` are then empty and `classIndex` is nil.
public struct OOFTable: Sendable, Equatable {
    public var rows: [OOFPrediction]
    /// Class names in output order (`Dataset.classes`); empty for a melanoma-only file.
    public var classNames: [String]
    /// Per row, one probability per class; empty for a melanoma-only file.
    public var probabilities: [[Double]]
    /// Per row, the true class index; nil for a melanoma-only file.
    public var classIndex: [Int]?

    public init(rows: [OOFPrediction], classNames: [String] = [], probabilities: [[Double]] = [],
                classIndex: [Int]? = nil) {
        precondition(probabilities.isEmpty || probabilities.count == rows.count, "one probability row per OOF row")
        precondition(classIndex == nil || classIndex!.count == rows.count, "one class index per OOF row")
        self.rows = rows
        self.classNames = classNames
        self.probabilities = probabilities
        self.classIndex = classIndex
    }

    /// Whether the file carried every class (confusion matrices need it).
    public var hasClasses: Bool { !classNames.isEmpty && classIndex != nil }

    /// Column name of one class probability; spaces become `_` so the header stays one token.
    public static func probabilityColumn(_ className: String) -> String {
        "prob_" + className.replacingOccurrences(of: " ", with: "_")
    }
}

extension OOFFile {
    /// Writes the five base columns plus `class` and `prob_<name>` for every class, atomically.
    public static func write(_ table: OOFTable, to url: URL) throws {
        guard table.hasClasses else { return try write(table.rows, to: url) }
        if let bad = table.rows.first(where: { !$0.pred.isFinite }) {
            throw RunError("\(url.path): the prediction for \(bad.imageName) is \(bad.pred); nothing was written")
        }
        let header = columns + ["class"] + table.classNames.map(OOFTable.probabilityColumn)
        try CSVWriter.write(header: header, rows: table.rows.enumerated().map { i, r in
            [r.imageName, "\(r.fold)", r.isExt ? "1" : "0", "\(r.target)", "\(r.pred)", "\(table.classIndex![i])"]
                + table.probabilities[i].map { "\($0)" }
        }, to: url)
    }

    /// Reads an OOF file with or without the class columns. A `class` outside the `prob_` columns
    /// or a non-numeric probability is an error naming the line and column.
    public static func readTable(_ url: URL) throws -> OOFTable {
        let csv = try CSVTable.read(path: url.path)
        let rows = try rows(of: csv)
        let probColumns = csv.header.indices.filter { csv.header[$0].hasPrefix("prob_") }
        guard let classColumn = csv.header.firstIndex(of: "class"), !probColumns.isEmpty else {
            return OOFTable(rows: rows)
        }
        let names = probColumns.map { String(csv.header[$0].dropFirst("prob_".count)) }
        var probs: [[Double]] = [], classes: [Int] = []
        probs.reserveCapacity(rows.count)
        for r in csv.rows.indices {
            let k = try csv.int(row: r, column: classColumn)
            guard k >= 0, k < names.count else {
                throw csv.problem(row: r, column: classColumn, "\(k) is not a class index 0..<\(names.count)")
            }
            classes.append(k)
            probs.append(try probColumns.map { try csv.double(row: r, column: $0) })
        }
        return OOFTable(rows: rows, classNames: names, probabilities: probs, classIndex: classes)
    }
}
