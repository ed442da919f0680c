import Foundation

/// The original's ensemble.py: the weighted mean of each submission's percentile ranks
/// (`target.rank(pct=True)`), written in the first submission's row order.
///
/// Unlike the original, which trusts every file to be in test.csv order, rows are joined on
/// `image_name`, and files that do not hold the same images are an error.
public enum RankEnsemble {
    /// `*csv` in `directory`, sorted by path as Python's `sorted(glob(...))`; `excluding` (the output
    /// file, when it lies in the same folder) is left out so a second run does not ensemble itself.
    public static func submissionFiles(in directory: URL, excluding: URL? = nil) throws -> [URL] {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory.path) } catch {
            throw RunError(.subDir, "\(directory.path): cannot list the folder: \(error.localizedDescription)")
        }
        let skip = excluding?.standardizedFileURL.path
        return names.filter { $0.hasSuffix("csv") && !$0.hasPrefix(".") }
            .map { directory.appendingPathComponent($0) }
            .filter { $0.standardizedFileURL.path != skip }
            .sorted { Array($0.path.utf8).lexicographicallyPrecedes(Array($1.path.utf8)) }
    }

    /// Parses `--weights 1,2,0.5`: one finite, non-negative number per submission, not all zero.
    public static func parseWeights(_ text: String, count: Int) throws -> [Double] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        let values = try parts.enumerated().map { i, s -> Double in
            guard let v = Double(s), v.isFinite, v >= 0 else {
                throw RunError(.weights, "item \(i + 1) '\(s)' is not a non-negative number")
            }
            return v
        }
        guard values.count == count else {
            throw RunError(.weights, "\(values.count) weights for \(count) submissions")
        }
        guard values.contains(where: { $0 > 0 }) else { throw RunError(.weights, "all weights are zero") }
        return values
    }

    /// Combines `submissions` (with the paths used in error messages). `weights` nil means the
    /// original's equal weights `1/n`; otherwise each weight is divided by their sum.
    public static func combine(_ submissions: [(path: String, submission: Submission)],
                               weights: [Double]? = nil) throws -> Submission {
        guard let first = submissions.first else { throw RunError("ensemble: no submissions given") }
        let n = submissions.count
        let w: [Double]
        if let weights {
            guard weights.count == n else {
                throw RunError("ensemble: \(weights.count) weights for \(n) submissions")
            }
            // Scaled by the largest first, so huge weights (1e308) do not overflow their sum to inf.
            let largest = weights.max() ?? 1
            guard largest > 0, largest.isFinite else { throw RunError(.weights, "weights must be finite and not all zero") }
            let scaled = weights.map { $0 / largest }
            let total = scaled.reduce(0, +)
            w = scaled.map { $0 / total }
        } else {
            w = [Double](repeating: 1.0 / Double(n), count: n)
        }

        let names = first.submission.imageNames
        var out = [Double](repeating: 0, count: names.count)
        for (i, (path, sub)) in submissions.enumerated() {
            let ranks = Metrics.percentileRank(sub.targets)
            // Row of each first-file image in this file; same order is the common case.
            let index: [Int]
            if sub.imageNames == names {
                index = Array(names.indices)
            } else {
                let position = Dictionary(sub.imageNames.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
                if let missing = names.first(where: { position[$0] == nil }) {
                    throw RunError(
                        "ensemble: \(path) and \(first.path) hold different images: '\(missing)' is in "
                            + "\(first.path) but not in \(path) (\(sub.count) vs \(names.count) rows)")
                }
                if sub.count != names.count {
                    let known = Set(names)
                    let extra = sub.imageNames.first { !known.contains($0) } ?? "?"
                    throw RunError(
                        "ensemble: \(path) and \(first.path) hold different images: '\(extra)' is in \(path) "
                            + "but not in \(first.path) (\(sub.count) vs \(names.count) rows)")
                }
                index = names.map { position[$0]! } // every name was found above
            }
            // Accumulated in file order from zero, as numpy's sum over the stacked weighted ranks.
            for r in out.indices { out[r] += w[i] * ranks[index[r]] }
        }
        return Submission(imageNames: names, targets: out)
    }

    /// Reads, combines and writes atomically; returns the ensemble.
    @discardableResult
    public static func run(files: [URL], weights: [Double]? = nil, output: URL) throws -> Submission {
        let subs = try files.map { (path: $0.path, submission: try Submission.read($0)) }
        let result = try combine(subs, weights: weights)
        try result.write(to: output)
        return result
    }
}
