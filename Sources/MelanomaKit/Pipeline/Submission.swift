import Foundation

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

    /// Reads `image_name,target` (other columns are ignored). Empty, non-numeric or NaN targets, duplicate
    /// or empty image names are errors naming the file, row and column.
    public static func read(_ url: URL) throws -> Submission {
        let csv = try CSVTable.read(path: url.path)
        let n = try csv.requireColumn("image_name"), t = try csv.requireColumn("target")
        var names: [String] = [], targets: [Double] = []
        var seen: [String: Int] = [:]
        names.reserveCapacity(csv.rows.count)
        for r in csv.rows.indices {
            let name = csv.rows[r][n].trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty else { throw csv.problem(row: r, column: n, "empty image name") }
            if let prev = seen[name] { throw csv.problem(row: r, column: n, "'\(name)' already appears on row \(prev)") }
            seen[name] = r + 1
            let v = try csv.double(row: r, column: t)
            guard v.isFinite else { throw csv.problem(row: r, column: t, "\(v) is not a finite number") }
            names.append(name)
            targets.append(v)
        }
        guard !names.isEmpty else { throw DataError(file: url.path, "no rows after the header") }
        return Submission(imageNames: names, targets: targets)
    }

    /// Writes `image_name,target` atomically; numbers are the shortest text that reads back exactly. A
    /// non-finite target is an error naming the image: a submission of NaNs is never written.
    public func write(to url: URL) throws {
        if let bad = targets.firstIndex(where: { !$0.isFinite }) {
            throw RunError("\(url.path): the prediction for \(imageNames[bad]) is \(targets[bad]); nothing was written")
        }
        try CSVWriter.write(header: ["image_name", "target"], rows: zip(imageNames, targets).map { [$0, "\($1)"] }, to: url)
    }
}
