import Foundation

/// One out-of-fold prediction: the validation row, its fold, whether it is external (2019) data, the binary
/// melanoma label and the melanoma probability.
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

/// The OOF CSV `evaluate` writes: `image_name,fold,is_ext,target,pred`, fold-0 rows first (the order of the
/// original's `{kernel}_{eval}_oof.npy`).
public enum OOFFile {
    public static let columns = ["image_name", "fold", "is_ext", "target", "pred"]

    public static func write(_ rows: [OOFPrediction], to url: URL) throws {
        if let bad = rows.first(where: { !$0.pred.isFinite }) {
            throw RunError("\(url.path): the prediction for \(bad.imageName) is \(bad.pred); nothing was written")
        }
        try CSVWriter.write(header: columns, rows: rows.map {
            [$0.imageName, "\($0.fold)", $0.isExt ? "1" : "0", "\($0.target)", "\($0.pred)"]
        }, to: url)
    }

    public static func read(_ url: URL) throws -> [OOFPrediction] {
        try rows(of: try CSVTable.read(path: url.path))
    }

    /// The five base columns of an already parsed file (`readTable` reads the class columns too).
    static func rows(of csv: CSVTable) throws -> [OOFPrediction] {
        let c = try columns.map { try csv.requireColumn($0) }
        return try csv.rows.indices.map { r in
            let ext = try csv.int(row: r, column: c[2]), target = try csv.int(row: r, column: c[3])
            guard ext == 0 || ext == 1 else { throw csv.problem(row: r, column: c[2], "\(ext) is not 0 or 1") }
            guard target == 0 || target == 1 else { throw csv.problem(row: r, column: c[3], "\(target) is not 0 or 1") }
            return OOFPrediction(imageName: csv.rows[r][c[0]], fold: try csv.int(row: r, column: c[1]), isExt: ext == 1,
                                 target: target, pred: try csv.double(row: r, column: c[4]))
        }
    }
}
