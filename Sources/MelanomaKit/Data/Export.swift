import Foundation

extension Dataset {
    /// Writes `prepared_train.csv` (image_name, is_ext, fold, target, metadata columns) and
    /// `prepared_test.csv` (image_name, metadata columns): the tables the model will see.
    public func exportPrepared(to directory: String) throws {
        let dir = URL(fileURLWithPath: directory)
        try CSVWriter.write(
            header: ["image_name", "is_ext", "fold", "target"] + metaFeatureNames,
            rows: train.map { s in [s.imageName, s.isExt ? "1" : "0", "\(s.fold)", "\(s.target)"] + s.meta.map(formatFeature) },
            to: dir.appendingPathComponent("prepared_train.csv"))
        try CSVWriter.write(header: ["image_name"] + metaFeatureNames,
                            rows: test.map { s in [s.imageName] + s.meta.map(formatFeature) },
                            to: dir.appendingPathComponent("prepared_test.csv"))
    }
}

/// Integers (the one-hot and sex columns) without a trailing ".0"; other values at float precision.
func formatFeature(_ v: Float) -> String {
    if v == v.rounded(), abs(v) < 1e7 { return String(Int(v)) }
    return "\(v)"
}
