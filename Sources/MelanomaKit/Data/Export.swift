import Foundation

extension Dataset {
    /// Writes `prepared_train.csv` (image_name, is_ext, fold, target, metadata columns) and
    /// `prepared_test.csv` (image_name, metadata columns): the tables the model will see.
    public func exportPrepared(to directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let metaHeader = metaFeatureNames.map(csvField)
        var train = (["image_name", "is_ext", "fold", "target"] + metaHeader).joined(separator: ",") + "\n"
        for s in self.train {
            let fields = [csvField(s.imageName), s.isExt ? "1" : "0", "\(s.fold)", "\(s.target)"] + s.meta.map(formatFeature)
            train += fields.joined(separator: ",") + "\n"
        }
        var test = (["image_name"] + metaHeader).joined(separator: ",") + "\n"
        for s in self.test {
            test += ([csvField(s.imageName)] + s.meta.map(formatFeature)).joined(separator: ",") + "\n"
        }
        try Data(train.utf8).write(to: URL(fileURLWithPath: directory.appendingPath("prepared_train.csv")), options: .atomic)
        try Data(test.utf8).write(to: URL(fileURLWithPath: directory.appendingPath("prepared_test.csv")), options: .atomic)
    }
}

/// Integers (the one-hot and sex columns) without a trailing ".0"; other values at float precision.
func formatFeature(_ v: Float) -> String {
    if v == v.rounded(), abs(v) < 1e7 { return String(Int(v)) }
    return "\(v)"
}
