import Foundation

/// Counts of (true class, predicted class) over OOF rows, the prediction being the argmax class.
public struct ConfusionMatrix: Sendable, Equatable {
    public var classNames: [String]
    /// `counts[true][predicted]`, as sklearn's `confusion_matrix(y_true, y_pred)`.
    public var counts: [[Int]]

    /// Predictions are `Metrics.argmax` of each probability row (numpy's argmax, as the original's acc).
    public static func compute(_ table: OOFTable) throws -> ConfusionMatrix {
        guard table.hasClasses, let truth = table.classIndex else {
            throw RunError("confusion matrix: the OOF file has no class probabilities (written before they were saved?)")
        }
        let k = table.classNames.count
        var counts = [[Int]](repeating: [Int](repeating: 0, count: k), count: k)
        for (row, probs) in table.probabilities.enumerated() {
            guard probs.count == k else {
                throw RunError("confusion matrix: row \(row) has \(probs.count) probabilities for \(k) classes")
            }
            counts[truth[row]][Metrics.argmax(probs)] += 1
        }
        return ConfusionMatrix(classNames: table.classNames, counts: counts)
    }

    /// Fraction of rows on the diagonal.
    public var accuracy: Double {
        let total = counts.joined().reduce(0, +)
        return total == 0 ? .nan : Double(counts.indices.reduce(0) { $0 + counts[$1][$1] }) / Double(total)
    }
}
